// The relational-reasoning augmentation on the GPU, a bit-exact port of src/RelReason/Data/Augmentation
// (ViewSampler, ViewRenderer, ColorOps, PortableMath, Philox): the same view parameters and the same output floats
// as the C# code for the same (seed, epoch, image, view). Bit-exactness needs every float expression evaluated as
// written: CMakeLists.txt compiles this file with -fmad=false, division and sqrt stay IEEE (no fast math), rintf
// rounds half to even like MathF.Round, and exp is PortableMath's polynomial, not expf.
// A batch is M source images (uint8 HWC, [M, H, W, C]) and K views of each; view v = k * M + m (augmentation-major,
// as the backbone reads them) is view k of batch image m, whose dataset index imageIds[m] keys the random draws.
#include "common.cuh"

// Same fields, order and 4-byte types as the C# struct AugmentConstants (checked by augment_layout_kernel).
struct RrAugmentConstants
{
    int Height, Width, Channels, Side;
    float ScaleMin, ScaleMax, RatioMin, RatioMax, LogRatioMin, LogRatioMax;
    float FlipProbability, JitterProbability, GrayProbability;
    float BrightnessMin, BrightnessMax, ContrastMin, ContrastMax, SaturationMin, SaturationMax, HueMin, HueMax;
    int JitterOpsMask;
    float Mean0, Mean1, Mean2, Std0, Std1, Std2;
};

// Same fields and order as the C# struct ViewParams.
struct RrViewParams
{
    int CropTop, CropLeft, CropHeight, CropWidth, CropTry, Flip, Jitter, JitterOps, Order;
    float Brightness, Contrast, Saturation, Hue;
    int Gray;
};

#define RR_OP_BRIGHTNESS 0
#define RR_OP_CONTRAST 1
#define RR_OP_SATURATION 2
#define RR_OP_HUE 3

// ---- Philox-4x32-10 (Philox.cs) --------------------------------------------------------------------------------

struct RrPhilox
{
    unsigned int x0, x1, x2, x3;
};

static __device__ __forceinline__ RrPhilox rr_philox(
    unsigned int c0, unsigned int c1, unsigned int c2, unsigned int c3, unsigned int k0, unsigned int k1)
{
    for (int round = 0; round < 10; round++)
    {
        if (round > 0)
        {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        unsigned long long p0 = (unsigned long long)0xD2511F53u * c0;
        unsigned long long p1 = (unsigned long long)0xCD9E8D57u * c2;
        unsigned int n0 = (unsigned int)(p1 >> 32) ^ c1 ^ k0;
        unsigned int n1 = (unsigned int)p1;
        unsigned int n2 = (unsigned int)(p0 >> 32) ^ c3 ^ k1;
        unsigned int n3 = (unsigned int)p0;
        c0 = n0;
        c1 = n1;
        c2 = n2;
        c3 = n3;
    }
    RrPhilox r = {c0, c1, c2, c3};
    return r;
}

static __device__ __forceinline__ float rr_unit_float(unsigned int bits)
{
    return (float)(bits >> 8) * (1.0f / 16777216.0f);
}

static __device__ __forceinline__ unsigned int rr_below(unsigned int bits, unsigned int n)
{
    return (unsigned int)(((unsigned long long)bits * n) >> 32);
}

static __device__ __forceinline__ float rr_uniform(float lo, float hi, unsigned int bits)
{
    return lo + (hi - lo) * rr_unit_float(bits);
}

// ---- PortableMath.Exp ----------------------------------------------------------------------------------------

static __device__ float rr_portable_exp(float x)
{
    if (x != x)
    {
        return x;
    }
    if (x > 88.0f)
    {
        return __int_as_float(0x7F800000);
    }
    if (x < -87.0f)
    {
        return 0.0f;
    }
    float k = rintf(x * 1.44269504f);
    float r = x - k * 0.693359375f;
    r = r - k * -2.12194440e-4f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 1.0f / 2.0f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    return p * __int_as_float(((int)k + 127) << 23);
}

// ---- ViewSampler ---------------------------------------------------------------------------------------------

static __device__ int rr_order_from_index(int index)
{
    int remaining = 0 | (1 << 2) | (2 << 4) | (3 << 6);
    int order = 0;
    for (int position = 0; position < 4; position++)
    {
        int left = 4 - position;
        int pick = index % left;
        index /= left;
        int op = (remaining >> (2 * pick)) & 3;
        int below = remaining & ((1 << (2 * pick)) - 1);
        int above = remaining >> (2 * pick + 2);
        remaining = below | (above << (2 * pick));
        order |= op << (2 * position);
    }
    return order;
}

static __device__ void rr_draw_crop(const RrAugmentConstants* c, unsigned int seed, unsigned int epoch,
    unsigned int image, unsigned int view, RrViewParams* p)
{
    float area = (float)c->Height * (float)c->Width;
    for (int t = 0; t < 10; t++)
    {
        RrPhilox r = rr_philox(image, view, 2u + (unsigned int)t, 0u, seed, epoch);
        float targetArea = area * rr_uniform(c->ScaleMin, c->ScaleMax, r.x0);
        float aspect = rr_portable_exp(rr_uniform(c->LogRatioMin, c->LogRatioMax, r.x1));
        int w = (int)rintf(sqrtf(targetArea * aspect));
        int h = (int)rintf(sqrtf(targetArea / aspect));
        if (w > 0 && w <= c->Width && h > 0 && h <= c->Height)
        {
            p->CropTop = (int)rr_below(r.x2, (unsigned int)(c->Height - h + 1));
            p->CropLeft = (int)rr_below(r.x3, (unsigned int)(c->Width - w + 1));
            p->CropHeight = h;
            p->CropWidth = w;
            p->CropTry = t;
            return;
        }
    }
    float imageRatio = (float)c->Width / (float)c->Height;
    int fw, fh;
    if (imageRatio < c->RatioMin)
    {
        fw = c->Width;
        fh = max(1, (int)rintf((float)fw / c->RatioMin));
    }
    else if (imageRatio > c->RatioMax)
    {
        fh = c->Height;
        fw = min(c->Width, (int)rintf((float)fh * c->RatioMax));
    }
    else
    {
        fw = c->Width;
        fh = c->Height;
    }
    p->CropTop = (c->Height - fh) / 2;
    p->CropLeft = (c->Width - fw) / 2;
    p->CropHeight = fh;
    p->CropWidth = fw;
    p->CropTry = -1;
}

// grid: ceil(views / block) blocks; block: 256 threads, one view per thread (views = K * M)
// c: one RrAugmentConstants; imageIds: [M] dataset indices; params: [K * M] RrViewParams
// writes params[k * M + m] = ViewSampler.Draw(c, seed, epoch, imageIds[m], k)
extern "C" __global__ void augment_params_kernel(const RrAugmentConstants* __restrict__ c, unsigned int seed,
    unsigned int epoch, const int* __restrict__ imageIds, int images, int viewsPerImage,
    RrViewParams* __restrict__ params)
{
    long long v = rr_global_index();
    if (v >= (long long)images * viewsPerImage)
    {
        return;
    }
    unsigned int image = (unsigned int)imageIds[v % images];
    unsigned int view = (unsigned int)(v / images);
    RrViewParams p;
    rr_draw_crop(c, seed, epoch, image, view, &p);
    RrPhilox flags = rr_philox(image, view, 0u, 0u, seed, epoch);
    p.Flip = rr_unit_float(flags.x0) < c->FlipProbability ? 1 : 0;
    p.Jitter = rr_unit_float(flags.x1) < c->JitterProbability ? 1 : 0;
    p.Gray = rr_unit_float(flags.x2) < c->GrayProbability ? 1 : 0;
    p.JitterOps = p.Jitter != 0 ? c->JitterOpsMask : 0;
    p.Order = rr_order_from_index((int)rr_below(flags.x3, 24u));
    RrPhilox factors = rr_philox(image, view, 1u, 0u, seed, epoch);
    p.Brightness = rr_uniform(c->BrightnessMin, c->BrightnessMax, factors.x0);
    p.Contrast = rr_uniform(c->ContrastMin, c->ContrastMax, factors.x1);
    p.Saturation = rr_uniform(c->SaturationMin, c->SaturationMax, factors.x2);
    p.Hue = rr_uniform(c->HueMin, c->HueMax, factors.x3);
    params[v] = p;
}
RR_HOST_EXPORT(augment_params_kernel)

// ---- ColorOps --------------------------------------------------------------------------------------------------

static __device__ __forceinline__ float rr_gray(float r, float g, float b)
{
    return 0.299f * r + 0.587f * g + 0.114f * b;
}

static __device__ __forceinline__ float rr_clamp01(float v)
{
    return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

static __device__ void rr_hue(float* r, float* g, float* b, float shift)
{
    float mx = fmaxf(*r, fmaxf(*g, *b));
    float mn = fminf(*r, fminf(*g, *b));
    float chroma = mx - mn;
    if (chroma == 0.0f)
    {
        return;
    }
    float value = mx;
    float saturation = chroma / mx;
    float sixths;
    if (mx == *r)
    {
        sixths = (*g - *b) / chroma;
    }
    else if (mx == *g)
    {
        sixths = 2.0f + (*b - *r) / chroma;
    }
    else
    {
        sixths = 4.0f + (*r - *g) / chroma;
    }
    float h = sixths / 6.0f + shift;
    h = h - floorf(h);
    float scaled = h * 6.0f;
    float sector = floorf(scaled);
    float f = scaled - sector;
    int i = (int)sector % 6;
    float p = rr_clamp01(value * (1.0f - saturation));
    float q = rr_clamp01(value * (1.0f - saturation * f));
    float t = rr_clamp01(value * (1.0f - saturation * (1.0f - f)));
    switch (i)
    {
        case 0: *r = value; *g = t; *b = p; break;
        case 1: *r = q; *g = value; *b = p; break;
        case 2: *r = p; *g = value; *b = t; break;
        case 3: *r = p; *g = q; *b = value; break;
        case 4: *r = t; *g = p; *b = value; break;
        default: *r = value; *g = p; *b = q; break;
    }
}

// Applies the ops at order positions [from, to) that the view uses (ViewRenderer.ApplyOps).
static __device__ void rr_apply_ops(const RrViewParams* p, int channels, int from, int to, float mean, float* r,
    float* g, float* b)
{
    for (int position = from; position < to; position++)
    {
        int op = (p->Order >> (2 * position)) & 3;
        if (((p->JitterOps >> op) & 1) == 0)
        {
            continue;
        }
        if (op == RR_OP_BRIGHTNESS)
        {
            *r = rr_clamp01(p->Brightness * *r);
            *g = rr_clamp01(p->Brightness * *g);
            *b = rr_clamp01(p->Brightness * *b);
        }
        else if (op == RR_OP_CONTRAST)
        {
            *r = rr_clamp01(p->Contrast * *r + (1.0f - p->Contrast) * mean);
            *g = rr_clamp01(p->Contrast * *g + (1.0f - p->Contrast) * mean);
            *b = rr_clamp01(p->Contrast * *b + (1.0f - p->Contrast) * mean);
        }
        else if (op == RR_OP_SATURATION && channels == 3)
        {
            float gray = rr_gray(*r, *g, *b);
            float keep = 1.0f - p->Saturation;
            *r = rr_clamp01(p->Saturation * *r + keep * gray);
            *g = rr_clamp01(p->Saturation * *g + keep * gray);
            *b = rr_clamp01(p->Saturation * *b + keep * gray);
        }
        else if (op == RR_OP_HUE && channels == 3)
        {
            rr_hue(r, g, b, p->Hue);
        }
    }
}

// Position (0..3) of contrast in the view's order when it applies, else 4.
static __device__ int rr_contrast_position(const RrViewParams* p)
{
    if (((p->JitterOps >> RR_OP_CONTRAST) & 1) == 0)
    {
        return 4;
    }
    for (int position = 0; position < 4; position++)
    {
        if (((p->Order >> (2 * position)) & 3) == RR_OP_CONTRAST)
        {
            return position;
        }
    }
    return 4;
}

// ---- ViewRenderer ----------------------------------------------------------------------------------------------

static __device__ void rr_tap(int start, int length, int side, int d, int* i0, int* i1, float* w1)
{
    float scale = (float)length / (float)side;
    float source = scale * ((float)d + 0.5f) - 0.5f;
    if (source < 0.0f)
    {
        source = 0.0f;
    }
    int i = (int)source;
    if (i > length - 1)
    {
        i = length - 1;
    }
    *w1 = source - (float)i;
    *i0 = start + i;
    *i1 = start + (i < length - 1 ? i + 1 : i);
}

// The widened triangle filter of a downscaled axis at crop sample j: positive within half-width `scale` of the
// centre.
static __device__ float rr_triangle(int j, float center, float scale)
{
    float w = 1.0f - fabsf(((float)j + 0.5f - center) / scale);
    return w > 0.0f ? w : 0.0f;
}

// The taps of output index d along one axis (ViewRenderer.AxisTaps): two bilinear taps where the crop is resized up
// or kept; where it is resized down by s = length / side, the crop samples [lo, hi) around c = s * (d + 0.5) with
// triangle weights of half-width s, normalised by their sum. A tap's weight is computed on demand by rr_axis_weight,
// with the same float operations as the C# table.
struct RrAxis
{
    int start;
    int wide;
    int lo;
    int count;
    int i0;
    int i1;
    float w1;
    float center;
    float scale;
    float sum;
};

static __device__ void rr_axis(int start, int length, int side, int d, RrAxis* a)
{
    a->start = start;
    a->wide = length > side;
    if (!a->wide)
    {
        rr_tap(start, length, side, d, &a->i0, &a->i1, &a->w1);
        a->count = 2;
        return;
    }
    float scale = (float)length / (float)side;
    float center = scale * ((float)d + 0.5f);
    int lo = (int)(center - scale + 0.5f);
    int hi = (int)(center + scale + 0.5f);
    lo = lo > 0 ? lo : 0;
    hi = hi < length ? hi : length;
    float sum = 0.0f;
    for (int j = lo; j < hi; j++)
    {
        sum += rr_triangle(j, center, scale);
    }
    a->lo = lo;
    a->count = hi - lo;
    a->center = center;
    a->scale = scale;
    a->sum = sum;
}

// Tap t of an axis: its absolute source index and its weight.
static __device__ __forceinline__ void rr_axis_tap(const RrAxis* a, int t, int* index, float* weight)
{
    if (!a->wide)
    {
        *index = t == 0 ? a->i0 : a->i1;
        *weight = t == 0 ? 1.0f - a->w1 : a->w1;
        return;
    }
    *index = a->start + a->lo + t;
    *weight = rr_triangle(a->lo + t, a->center, a->scale) / a->sum;
}

// sum over row taps of w_row * (sum over column taps of w_col * byte), both from 0 in tap order, then / 255.
static __device__ float rr_blend(const unsigned char* image, int stride, int channels, int channel,
    const RrAxis* rows, const RrAxis* cols)
{
    float total = 0.0f;
    for (int t = 0; t < rows->count; t++)
    {
        int row;
        float rowWeight;
        rr_axis_tap(rows, t, &row, &rowWeight);
        float line = 0.0f;
        for (int u = 0; u < cols->count; u++)
        {
            int col;
            float colWeight;
            rr_axis_tap(cols, u, &col, &colWeight);
            line += colWeight * (float)image[row * stride + col * channels + channel];
        }
        total += rowWeight * line;
    }
    return total / 255.0f;
}

// The resampled value of output pixel (x, y) of a view, in [0, 1], before any colour op.
static __device__ void rr_sample(const RrAugmentConstants* c, const RrViewParams* p, const unsigned char* image,
    int x, int y, float* r, float* g, float* b)
{
    int side = c->Side;
    int sourceX = p->Flip != 0 ? side - 1 - x : x;
    RrAxis cols, rows;
    rr_axis(p->CropLeft, p->CropWidth, side, sourceX, &cols);
    rr_axis(p->CropTop, p->CropHeight, side, y, &rows);
    int channels = c->Channels;
    int stride = c->Width * channels;
    *r = rr_blend(image, stride, channels, 0, &rows, &cols);
    if (channels == 3)
    {
        *g = rr_blend(image, stride, channels, 1, &rows, &cols);
        *b = rr_blend(image, stride, channels, 2, &rows, &cols);
    }
    else
    {
        *g = *r;
        *b = *r;
    }
}

// Grayscale (3 channels) and normalisation, written CHW at pixel index i of a plane.
static __device__ void rr_finish(const RrAugmentConstants* c, const RrViewParams* p, float* out, int plane, int i,
    float r, float g, float b)
{
    if (c->Channels == 1)
    {
        out[i] = (r - c->Mean0) / c->Std0;
        return;
    }
    if (p->Gray != 0)
    {
        float l = rr_gray(r, g, b);
        r = l;
        g = l;
        b = l;
    }
    out[i] = (r - c->Mean0) / c->Std0;
    out[plane + i] = (g - c->Mean1) / c->Std1;
    out[2 * plane + i] = (b - c->Mean2) / c->Std2;
}

// grid: ceil(views * S * S / block) blocks; block: 256 threads, one output pixel (all channels) per thread
// images: [M, H, W, C] uint8; params: [views]; out: [views, C, S, S] float32
// writes out = the finished view for views without contrast; for views with contrast, the pixel as it is just
// before contrast, un-normalised (augment_row_sums/mean/finish complete those views)
extern "C" __global__ void augment_pixels_kernel(const RrAugmentConstants* __restrict__ c,
    const RrViewParams* __restrict__ params, const unsigned char* __restrict__ images, int imageCount,
    int views, float* __restrict__ out)
{
    int side = c->Side;
    int plane = side * side;
    long long i = rr_global_index();
    if (i >= (long long)views * plane)
    {
        return;
    }
    long long v = i / plane;
    int pixel = (int)(i % plane);
    const RrViewParams* p = params + v;
    const unsigned char* image = images + (v % imageCount) * (long long)(c->Height * c->Width * c->Channels);
    float* view = out + v * (long long)(c->Channels * plane);
    float r, g, b;
    rr_sample(c, p, image, pixel % side, pixel / side, &r, &g, &b);
    int contrastAt = rr_contrast_position(p);
    if (contrastAt < 4)
    {
        rr_apply_ops(p, c->Channels, 0, contrastAt, 0.0f, &r, &g, &b);
        view[pixel] = r;
        if (c->Channels == 3)
        {
            view[plane + pixel] = g;
            view[2 * plane + pixel] = b;
        }
        return;
    }
    rr_apply_ops(p, c->Channels, 0, 4, 0.0f, &r, &g, &b);
    rr_finish(c, p, view, plane, pixel, r, g, b);
}
RR_HOST_EXPORT(augment_pixels_kernel)

// grid: ceil(views * S / block) blocks; block: 256 threads, one (view, row) per thread
// out: [views, C, S, S] as left by augment_pixels_kernel; rowSums: [views, S]
// writes rowSums[v, y] = sum over x, in column order, of the gray value of the stored pixel (contrast views only)
extern "C" __global__ void augment_row_sums_kernel(const RrAugmentConstants* __restrict__ c,
    const RrViewParams* __restrict__ params, int views, const float* __restrict__ out, float* __restrict__ rowSums)
{
    int side = c->Side;
    long long i = rr_global_index();
    if (i >= (long long)views * side)
    {
        return;
    }
    long long v = i / side;
    int y = (int)(i % side);
    if (rr_contrast_position(params + v) == 4)
    {
        return;
    }
    int plane = side * side;
    const float* view = out + v * (long long)(c->Channels * plane);
    float sum = 0.0f;
    for (int x = 0; x < side; x++)
    {
        int k = y * side + x;
        sum += c->Channels == 3 ? rr_gray(view[k], view[plane + k], view[2 * plane + k]) : view[k];
    }
    rowSums[i] = sum;
}
RR_HOST_EXPORT(augment_row_sums_kernel)

// grid: ceil(views / block) blocks; block: 256 threads, one view per thread
// rowSums: [views, S]; means: [views]
// writes means[v] = (sum of the row sums in row order) / S^2 (contrast views only)
extern "C" __global__ void augment_mean_kernel(const RrAugmentConstants* __restrict__ c,
    const RrViewParams* __restrict__ params, int views, const float* __restrict__ rowSums, float* __restrict__ means)
{
    long long v = rr_global_index();
    if (v >= views || rr_contrast_position(params + v) == 4)
    {
        return;
    }
    int side = c->Side;
    float total = 0.0f;
    for (int y = 0; y < side; y++)
    {
        total += rowSums[v * side + y];
    }
    means[v] = total / (float)(side * side);
}
RR_HOST_EXPORT(augment_mean_kernel)

// grid: ceil(views * S * S / block) blocks; block: 256 threads, one output pixel per thread
// out: [views, C, S, S], read and rewritten in place; means: [views]
// writes out = the finished pixel (ops from contrast on, grayscale, normalisation), for contrast views only
extern "C" __global__ void augment_finish_kernel(const RrAugmentConstants* __restrict__ c,
    const RrViewParams* __restrict__ params, int views, const float* __restrict__ means, float* __restrict__ out)
{
    int side = c->Side;
    int plane = side * side;
    long long i = rr_global_index();
    if (i >= (long long)views * plane)
    {
        return;
    }
    long long v = i / plane;
    const RrViewParams* p = params + v;
    int contrastAt = rr_contrast_position(p);
    if (contrastAt == 4)
    {
        return;
    }
    int pixel = (int)(i % plane);
    float* view = out + v * (long long)(c->Channels * plane);
    float r = view[pixel];
    float g = c->Channels == 3 ? view[plane + pixel] : r;
    float b = c->Channels == 3 ? view[2 * plane + pixel] : r;
    rr_apply_ops(p, c->Channels, contrastAt, 4, means[v], &r, &g, &b);
    rr_finish(c, p, view, plane, pixel, r, g, b);
}
RR_HOST_EXPORT(augment_finish_kernel)

// grid: 1 block; block: 1 thread
// layout: [6] int32
// writes the sizes of the two structs and the offsets of their last fields, for a test against the C# layouts
extern "C" __global__ void augment_layout_kernel(int* __restrict__ layout)
{
    if (rr_global_index() != 0)
    {
        return;
    }
    layout[0] = (int)sizeof(RrAugmentConstants);
    layout[1] = (int)offsetof(RrAugmentConstants, JitterOpsMask);
    layout[2] = (int)offsetof(RrAugmentConstants, Std2);
    layout[3] = (int)sizeof(RrViewParams);
    layout[4] = (int)offsetof(RrViewParams, Brightness);
    layout[5] = (int)offsetof(RrViewParams, Gray);
}
RR_HOST_EXPORT(augment_layout_kernel)
