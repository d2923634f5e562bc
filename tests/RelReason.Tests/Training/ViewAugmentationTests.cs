using RelReason.Data.Augmentation;
using RelReason.Training;

namespace RelReason.Tests.Training;

/// <summary>
/// The pretraining options' crop and colour strengths reach the view pipeline: strength 1 and crop 0.08 are the
/// reference's pipeline (METHOD.md 3.1), other values scale the four jitter ranges together, as SimCLR's colour
/// distortion strength does.
/// </summary>
public class ViewAugmentationTests
{
    private static readonly float[] Gray = [0.5f];

    [Test]
    public void DefaultsAreTheReferencePipeline()
    {
        var reference = new AugmentOptions { Side = 28, Mean = Gray, Std = Gray };
        var built = Pretrainer.ViewAugmentation(new PretrainOptions(), 28, Gray, Gray);

        Assert.That(built.ScaleMin, Is.EqualTo(reference.ScaleMin));
        Assert.That(built.Brightness, Is.EqualTo(reference.Brightness));
        Assert.That(built.Contrast, Is.EqualTo(reference.Contrast));
        Assert.That(built.Saturation, Is.EqualTo(reference.Saturation));
        Assert.That(built.Hue, Is.EqualTo(reference.Hue));
        Assert.That(built.JitterProbability, Is.EqualTo(0.8f));
        Assert.That(built.GrayscaleProbability, Is.EqualTo(0.2f));
    }

    [Test]
    public void StrengthScalesEveryJitterRange()
    {
        var options = new PretrainOptions { CropScaleMin = 0.35f, ColorStrength = 0.5f };
        var built = Pretrainer.ViewAugmentation(options, 32, [0f, 0f, 0f], [1f, 1f, 1f]);

        Assert.That(built.Side, Is.EqualTo(32));
        Assert.That(built.ScaleMin, Is.EqualTo(0.35f));
        Assert.That(built.ScaleMax, Is.EqualTo(1f));
        Assert.That(built.Brightness, Is.EqualTo(0.4f));
        Assert.That(built.Contrast, Is.EqualTo(0.4f));
        Assert.That(built.Saturation, Is.EqualTo(0.4f));
        Assert.That(built.Hue, Is.EqualTo(0.1f));
        var constants = AugmentConstants.Create(built, 32, 32, 3);
        Assert.That(constants.BrightnessMin, Is.EqualTo(0.6f));
        Assert.That(constants.HueMax, Is.EqualTo(0.1f));
    }

    [Test]
    public void ThePretrainerRendersWithTheRunsStrengths()
    {
        using var backend = new RelReason.Backends.Cpu.CpuBackend(1);
        var options = new PretrainOptions { K = 2, M = 4, Threads = 1, CropScaleMin = 0.5f, ColorStrength = 0.25f };
        using var run = new Pretrainer(options, backend);

        Assert.That(run.Augment.ScaleMin, Is.EqualTo(0.5f));
        Assert.That(run.Augment.Contrast, Is.EqualTo(0.2f));
        Assert.That(run.Augment.Side, Is.EqualTo(28), "the shipped subset's side");
    }

    [Test]
    public void StrengthZeroTurnsJitterOff()
    {
        var built = Pretrainer.ViewAugmentation(new PretrainOptions { ColorStrength = 0f }, 28, Gray, Gray);

        Assert.That(AugmentConstants.Create(built, 28, 28, 1).JitterOpsMask, Is.Zero);
        Assert.That(built.Describe(1), Does.Contain("no colour jitter"));
    }

    [TestCase(0f, 1f, "--crop-min must be in (0, 1], got 0")]
    [TestCase(1.01f, 1f, "--crop-min must be in (0, 1], got 1.01")]
    [TestCase(0.08f, -0.5f, "--color-strength must be in [0, 2.5]")]
    [TestCase(0.08f, 2.6f, "--color-strength must be in [0, 2.5]")]
    public void OutOfRangeStrengthsAreRefused(float crop, float strength, string message)
    {
        var options = new PretrainOptions { CropScaleMin = crop, ColorStrength = strength };

        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.That(ex!.Message, Does.Contain(message));
    }

    [Test]
    public void DescriptionListsOnlyTheStagesThatApply()
    {
        var reference = new AugmentOptions();

        Assert.That(reference.Describe(1), Is.EqualTo(
            "crop 8-100% of the area, flip p 0.5, jitter p 0.8 (brightness 0.8, contrast 0.8)"));
        Assert.That(reference.Describe(3), Is.EqualTo("crop 8-100% of the area, flip p 0.5, jitter p 0.8 " +
            "(brightness 0.8, contrast 0.8, saturation 0.8, hue 0.2), grayscale p 0.2"));
        Assert.That((reference with { JitterProbability = 0f }).Describe(3), Does.Contain("no colour jitter"));
    }
}
