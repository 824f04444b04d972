using System.Buffers.Binary;
using System.IO.Compression;

namespace HeavyTail.Experiments.Torch.Datasets;

/// <summary>An IDX array (the MNIST / Fashion-MNIST file format): unsigned bytes and their dimensions.</summary>
public sealed record IdxArray(int[] Shape, byte[] Data)
{
    public int Count => Shape[0];
    public int ItemSize => Shape.Skip(1).Aggregate(1, (a, b) => a * b);
}

/// <summary>
/// Reads IDX files, gzip-compressed (as Debian's dataset-fashion-mnist ships them) or raw: magic 0x00 0x00, type byte
/// (0x08 = unsigned byte, the only type MNIST uses), dimension count, big-endian int32 sizes, then the data. A missing,
/// corrupt or truncated file fails with one <see cref="InvalidDataException"/> line that names the file and the fix.
/// </summary>
public static class Idx
{
    public const string InstallHint = "install it with `scripts/get-data.sh` (Debian package dataset-fashion-mnist)";

    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not found; {InstallHint}.", path);
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[2];
        int got = file.Read(head);
        file.Position = 0;
        Stream s = got == 2 && head[0] == 0x1f && head[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
        try
        {
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            return Parse(ms.ToArray(), path);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: corrupt gzip stream ({e.Message}); {InstallHint}.");
        }
        finally { if (!ReferenceEquals(s, file)) s.Dispose(); }
    }

    public static IdxArray Parse(byte[] bytes, string name)
    {
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidDataException($"{name}: not an IDX file (bad magic number); {InstallHint}.");
        if (bytes[2] != 0x08)
            throw new InvalidDataException($"{name}: IDX element type 0x{bytes[2]:x2} is not supported (only unsigned bytes, 0x08).");
        int dims = bytes[3];
        if (dims is < 1 or > 4 || bytes.Length < 4 + 4 * dims)
            throw new InvalidDataException($"{name}: corrupt IDX header ({dims} dimensions); {InstallHint}.");
        var shape = new int[dims];
        long count = 1;
        for (int i = 0; i < dims; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (shape[i] < 0) throw new InvalidDataException($"{name}: corrupt IDX header (size {shape[i]}).");
            count *= shape[i];
        }
        long offset = 4 + 4 * dims;
        if (bytes.Length - offset != count)
            throw new InvalidDataException($"{name}: truncated or corrupt IDX file: the header promises {count} bytes of data, the file has {bytes.Length - offset}; {InstallHint}.");
        return new IdxArray(shape, bytes.AsSpan((int)offset).ToArray());
    }

    public static byte[] Write(IdxArray a)
    {
        var bytes = new byte[4 + 4 * a.Shape.Length + a.Data.Length];
        bytes[2] = 0x08; bytes[3] = (byte)a.Shape.Length;
        for (int i = 0; i < a.Shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), a.Shape[i]);
        a.Data.CopyTo(bytes, 4 + 4 * a.Shape.Length);
        return bytes;
    }
}
