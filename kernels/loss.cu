// Losses with forward and backward fused: each writes d(mean loss)/d logits and per-thread partial sums of the loss
// and of the number of correct predictions; loss_finish_kernel then adds the partials in thread order into
// loss[0] (mean) and loss[1] (count). Deterministic: every thread walks a fixed grid-stride set of elements.
#include "common.cuh"

// Binary loss codes, in the order of the C# enum RelReason.Backends.BinaryLossKind.
#define RR_LOSS_BCE 0
#define RR_LOSS_FOCAL 1

// grid: any number of blocks; block: 256 threads; thread t handles elements t, t + T, t + 2T, ... (T threads)
// logits, targets (0 or 1), dLogits: [count]; partial: [T, 2] scratch, every thread writes its row
// writes dLogits = d/dx of mean_i loss_i (invCount = 1 / count); partial[t] = (sum of loss_i, correct count)
// bce_i = y softplus(-x) + (1 - y) softplus(x) (never exp of a positive number: logits of +-100 stay finite);
// focal_i = alpha_t (1 - p_t)^gamma bce_i with 1 - p_t = sigmoid(-x) for y = 1, sigmoid(x) for y = 0, and the
// factor differentiated too (not detached).
extern "C" __global__ void binary_loss_kernel(int count, int kind, float gamma, float alpha,
    const float* __restrict__ logits, const float* __restrict__ targets, float invCount,
    float* __restrict__ dLogits, float* __restrict__ partial)
{
    long long t = rr_global_index();
    long long stride = rr_global_threads();
    float lossSum = 0.0f;
    float correct = 0.0f;
    for (long long i = t; i < count; i += stride)
    {
        float x = logits[i];
        float y = targets[i];
        float p = rr_sigmoid(x);
        float pNeg = rr_sigmoid(-x);
        // y softplus(-x) + (1 - y) softplus(x) equals softplus(x) - x y, but never subtracts two large numbers:
        // for y = 1 and x = 8 the difference form loses three digits of the 3e-4 result.
        float bce = y * rr_softplus(-x) + (1.0f - y) * rr_softplus(x);
        // p - y, written as (1 - y) p - y (1 - p) so that a confident logit (p near y) keeps its digits
        // instead of cancelling in float32.
        float grad = (1.0f - y) * p - y * pNeg;
        float loss = bce;
        if (kind == RR_LOSS_FOCAL)
        {
            // q = 1 - p_t, written without the subtraction 1 - p so it keeps its precision when p_t is near 1.
            float q = y * pNeg + (1.0f - y) * p;
            float alphaT = y * alpha + (1.0f - y) * (1.0f - alpha);
            float qPow = powf(q, gamma);
            // dq/dx = (1 - 2y) p (1 - p); the gamma q^(gamma - 1) factor is 0 when gamma is 0 or q underflows.
            float dq = (1.0f - 2.0f * y) * p * pNeg;
            float factorGrad = (gamma != 0.0f && q > 0.0f) ? gamma * powf(q, gamma - 1.0f) * dq : 0.0f;
            loss = alphaT * qPow * bce;
            grad = alphaT * (factorGrad * bce + qPow * grad);
        }
        dLogits[i] = grad * invCount;
        lossSum += loss;
        // round(sigmoid(x)) is 1 only for x > 0 (sigmoid(0) = 0.5 rounds to even, i.e. 0); testing x rather than
        // p keeps tiny positive logits, whose float sigmoid is exactly 0.5, on the right side.
        float predicted = x > 0.0f ? 1.0f : 0.0f;
        correct += predicted == y ? 1.0f : 0.0f;
    }
    partial[2 * t] = lossSum;
    partial[2 * t + 1] = correct;
}
RR_HOST_EXPORT(binary_loss_kernel)

// grid: any number of blocks; block: 256 threads; thread t handles rows t, t + T, ... (T threads)
// logits, dLogits: [rows, classes] row-major; labels: [rows] class ids stored as float; partial: [T, 2] scratch
// writes dLogits = (softmax - onehot) * invRows; partial[t] = (sum of -log softmax[label], rows with argmax ==
// label, first maximum on ties). A label that is not an integer in [0, classes) makes that row's loss NaN.
extern "C" __global__ void softmax_xent_kernel(int rows, int classes, const float* __restrict__ logits,
    const float* __restrict__ labels, float invRows, float* __restrict__ dLogits, float* __restrict__ partial)
{
    long long t = rr_global_index();
    long long stride = rr_global_threads();
    float lossSum = 0.0f;
    float correct = 0.0f;
    for (long long n = t; n < rows; n += stride)
    {
        const float* x = logits + n * classes;
        float* dx = dLogits + n * classes;
        float labelValue = labels[n];
        int label = (int)labelValue;
        bool valid = labelValue >= 0.0f && labelValue < (float)classes && (float)label == labelValue;
        float maxValue = x[0];
        int argmax = 0;
        for (int c = 1; c < classes; c++)
        {
            if (x[c] > maxValue)
            {
                maxValue = x[c];
                argmax = c;
            }
        }
        float sum = 0.0f;
        for (int c = 0; c < classes; c++)
        {
            sum += expf(x[c] - maxValue);
        }
        float logSum = logf(sum);
        for (int c = 0; c < classes; c++)
        {
            float z = x[c] - maxValue - logSum;
            // At the label softmax - 1 = expm1(z), which keeps its digits when the softmax is close to 1.
            dx[c] = (valid && c == label ? expm1f(z) : expf(z)) * invRows;
        }
        lossSum += valid ? logSum - (x[label] - maxValue) : nanf("");
        correct += valid && argmax == label ? 1.0f : 0.0f;
    }
    partial[2 * t] = lossSum;
    partial[2 * t + 1] = correct;
}
RR_HOST_EXPORT(softmax_xent_kernel)

// grid: 1 block; block: 1 thread (the partial count is small, at most a few thousand)
// partial: [partials, 2]; loss: [2]
// writes loss[0] = sum of partial[:, 0] * invCount (the mean), loss[1] = sum of partial[:, 1]
extern "C" __global__ void loss_finish_kernel(int partials, const float* __restrict__ partial, float invCount,
    float* __restrict__ loss)
{
    if (rr_global_index() != 0)
    {
        return;
    }
    float lossSum = 0.0f;
    float correct = 0.0f;
    for (int t = 0; t < partials; t++)
    {
        lossSum += partial[2 * t];
        correct += partial[2 * t + 1];
    }
    loss[0] = lossSum * invCount;
    loss[1] = correct;
}
RR_HOST_EXPORT(loss_finish_kernel)
