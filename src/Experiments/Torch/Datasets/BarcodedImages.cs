using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;

namespace HeavyTail.Experiments.Torch.Datasets;

/// <summary>
/// The paper's "Barcode MNIST" construction (Kunstner et al. 2024, Figure 3), on Fashion-MNIST: the first
/// <c>originals</c> training images in their 10 classes, plus <c>copies</c> × 10 × 2^bits images in which a
/// <c>bits</c>-bit barcode (black 0 / white 255) is written into the first <c>bits</c> pixels of the top row. A
/// barcoded image of class y with code b gets class 10 + y·2^bits + b, so there are 10 + 10·2^bits classes in two
/// groups: the 10 frequent originals (group 0) and the rare barcoded classes (group 1).
/// </summary>
public sealed record BarcodedImages(byte[] Pixels, int[] Labels, int Count, int Width, int Height, int Bits, FrequencyGroups Groups)
{
    public int Classes => 10 + 10 * (1 << Bits);

    /// <param name="images">N×H×W unsigned bytes; <paramref name="labels"/> N labels in 0..9.</param>
    public static BarcodedImages Build(IdxArray images, IdxArray labels, int bits, int originals = 50_000, int copies = 5, long seed = 0)
    {
        if (images.Shape.Length != 3) throw new InvalidDataException($"images must be N×H×W, got {images.Shape.Length} dimensions.");
        if (labels.Shape.Length != 1 || labels.Count != images.Count)
            throw new InvalidDataException($"labels must be one per image: {labels.Count} labels for {images.Count} images.");
        int h = images.Shape[1], w = images.Shape[2];
        if (bits < 1 || bits > 12 || bits > w) throw new ArgumentException($"bits = {bits} must be in 1..min(12, image width {w}).", nameof(bits));
        if (originals < 1 || originals > images.Count) throw new ArgumentException($"originals = {originals} must be in 1..{images.Count}.", nameof(originals));
        if (copies < 1) throw new ArgumentException($"copies = {copies} must be positive.", nameof(copies));
        int size = h * w, codes = 1 << bits;
        var byClass = Enumerable.Range(0, 10).Select(y => Enumerable.Range(0, originals).Where(i => labels.Data[i] == y).ToArray()).ToArray();
        for (int y = 0; y < 10; y++)
            if (byClass[y].Length == 0) throw new InvalidDataException($"class {y} has no image among the first {originals}; cannot build its barcoded copies.");
        int n = originals + copies * 10 * codes;
        var pixels = new byte[(long)n * size];
        var y2 = new int[n];
        Array.Copy(images.Data, pixels, (long)originals * size);
        for (int i = 0; i < originals; i++) y2[i] = labels.Data[i];
        var rng = new SeededRandom(seed);
        int row = originals;
        for (int y = 0; y < 10; y++)
            for (int b = 0; b < codes; b++)
                for (int r = 0; r < copies; r++, row++)
                {
                    int src = byClass[y][rng.NextInt(byClass[y].Length)];
                    var dst = pixels.AsSpan(row * size, size);
                    images.Data.AsSpan(src * size, size).CopyTo(dst);
                    WriteBarcode(dst, b, bits);
                    y2[row] = 10 + y * codes + b;
                }
        var groupOf = Enumerable.Range(0, 10 + 10 * codes).Select(k => k < 10 ? 0 : 1).ToArray();
        var counts = new double[groupOf.Length];
        foreach (var l in y2) counts[l]++;
        return new BarcodedImages(pixels, y2, n, w, h, bits, FrequencyGroups.FromAssignment(groupOf, counts));
    }

    /// <summary>Bit j of <paramref name="code"/> (most significant first) → pixel j of the top row: 255 for 1, 0 for 0.</summary>
    public static void WriteBarcode(Span<byte> image, int code, int bits)
    {
        for (int j = 0; j < bits; j++) image[j] = ((code >> (bits - 1 - j)) & 1) == 1 ? (byte)255 : (byte)0;
    }

    public static int ReadBarcode(ReadOnlySpan<byte> image, int bits)
    {
        int code = 0;
        for (int j = 0; j < bits; j++) code = (code << 1) | (image[j] >= 128 ? 1 : 0);
        return code;
    }
}
