using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace HeavyTail.Analytic.IO;

/// <summary>The dtypes a .npy file may hold here (NumPy's &lt;f4, &lt;f8, &lt;i4, &lt;i8).</summary>
public enum NpyType
{
    /// <summary>IEEE 754 single precision ('&lt;f4').</summary>
    Float32,
    /// <summary>IEEE 754 double precision ('&lt;f8').</summary>
    Float64,
    /// <summary>32-bit signed integer ('&lt;i4').</summary>
    Int32,
    /// <summary>64-bit signed integer ('&lt;i8').</summary>
    Int64,
}

/// <summary>An array read from a .npy file: its shape, dtype and values widened to double.</summary>
public sealed record NpyArray(int[] Shape, NpyType Type, double[] Values)
{
    /// <summary>The first dimension of <see cref="NpyArray.Shape"/> (1 for a scalar).</summary>
    public int Rows => Shape.Length == 0 ? 1 : Shape[0];
    /// <summary>The second dimension of a 2-D array; 1 for a 0-D or 1-D one.</summary>
    public int Columns => Shape.Length == 2 ? Shape[1] : 1;

    /// <summary>Values as integers; fails when a value is not an integer.</summary>
    public int[] ToInt32(string what)
    {
        var r = new int[Values.Length];
        for (int i = 0; i < r.Length; i++)
        {
            double v = Values[i];
            if (v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue)
                throw new InvalidDataException($"{what}[{i}] = {v} is not an integer label.");
            r[i] = (int)v;
        }
        return r;
    }
}

/// <summary>
/// NumPy .npy files (format versions 1–3): read and write float32/float64/int32/int64, little-endian,
/// C order, 1-D or 2-D. Anything else (Fortran order, other dtypes, truncated data, not a .npy file)
/// fails with one <see cref="InvalidDataException"/> line naming the file and the fix.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a .npy file (format 1–3, little-endian float32, float64, int32 or int64, C order, 1-D or 2-D); errors name the file and the fix.</summary>
    /// <param name="path">the file.</param>
    /// <param name="waiting">told when the open blocks for 2 s (a FIFO nobody writes to; <see cref="InputFile.OpenRead"/>).</param>
    public static NpyArray Read(string path, Action<string>? waiting = null)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"{path} is a folder, not a .npy file; name the file inside it (e.g. {Path.Combine(path, "X.npy")}).");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        using var s = InputFile.OpenRead(path, waiting);
        return Read(s, path);
    }

    /// <summary>Reads a .npy array from a stream; <paramref name="name"/> is used in error messages.</summary>
    public static NpyArray Read(Stream s, string name)
    {
        string header = ReadHeaderText(s, name);
        var (type, shape, count) = ParseDescription(header, name);
        var values = ReadValues(s, name, type, count);
        if (s.ReadByte() >= 0)
            throw new InvalidDataException($"{name}: {TrailingBytes(s)} after the {count} values the header promises; the file is corrupt or its header is wrong (rewrite it with numpy.save).");
        return new NpyArray(shape, type, values);
    }

    /// <summary>Reads the magic, the version and the header length, then the header's text (Latin-1; UTF-8 in version 3).</summary>
    private static string ReadHeaderText(Stream s, string name)
    {
        Span<byte> pre = stackalloc byte[10];
        if (ReadFully(s, pre) < 10 || !pre[..6].SequenceEqual(Magic))
            throw new InvalidDataException($"{name}: not a .npy file (missing the \\x93NUMPY magic); save arrays with numpy.save.");
        int major = pre[6];
        int headerLen;
        if (major == 1) headerLen = BinaryPrimitives.ReadUInt16LittleEndian(pre[8..10]);
        else if (major is 2 or 3)
        {
            Span<byte> extra = stackalloc byte[2];
            if (ReadFully(s, extra) < 2) throw Truncated(name);
            Span<byte> four = stackalloc byte[4];
            pre[8..10].CopyTo(four); extra.CopyTo(four[2..]);
            headerLen = (int)BinaryPrimitives.ReadUInt32LittleEndian(four);
        }
        else throw new InvalidDataException($"{name}: unsupported .npy format version {major}; save with numpy.save (version 1–3).");
        if (headerLen <= 0 || headerLen > 1 << 20) throw new InvalidDataException($"{name}: corrupt .npy header length {headerLen}.");
        var hb = new byte[headerLen];
        if (ReadFully(s, hb) < headerLen) throw Truncated(name);
        return (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(hb);
    }

    /// <summary>The dtype, shape and element count the header describes; fails on Fortran order, other dtypes and shapes that are not 1-D or 2-D.</summary>
    private static (NpyType Type, int[] Shape, long Count) ParseDescription(string header, string name)
    {
        var entries = ParseHeader(header, name);
        string descr = Entry(entries, "descr", name);
        string fortran = Entry(entries, "fortran_order", name);
        string shapeText = Entry(entries, "shape", name);
        if (fortran is not ("True" or "False")) throw new InvalidDataException($"{name}: corrupt .npy header: fortran_order is '{fortran}', not True or False.");
        if (!shapeText.StartsWith('(') || !shapeText.EndsWith(')')) throw new InvalidDataException($"{name}: corrupt .npy header: shape '{shapeText}' is not a tuple.");
        shapeText = shapeText[1..^1];
        if (fortran == "True")
            throw new InvalidDataException($"{name}: Fortran-order array; save a C-order copy with numpy.save(path, numpy.ascontiguousarray(a)).");
        var type = descr switch
        {
            "<f8" => NpyType.Float64, "<f4" => NpyType.Float32, "<i4" => NpyType.Int32, "<i8" => NpyType.Int64,
            _ => throw new InvalidDataException($"{name}: dtype '{descr}' is not supported; use float32, float64, int32 or int64 (little-endian), e.g. a.astype(numpy.float64)."),
        };
        var parts = shapeText.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > 1 && parts[^1].Length == 0) parts = parts[..^1]; // (3,) and (3, 4,) as Python writes them
        if (parts.Length == 1 && parts[0].Length == 0) parts = [];
        if (parts.Any(p => p.Length == 0)) throw new InvalidDataException($"{name}: corrupt shape '({shapeText})' in the .npy header.");
        if (parts.Length is < 1 or > 2)
            throw new InvalidDataException($"{name}: array has {parts.Length} dimensions; only 1-D and 2-D arrays are supported.");
        var shape = new int[parts.Length];
        long count = 1;
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
                throw new InvalidDataException($"{name}: corrupt shape '({shapeText})' in the .npy header.");
            count *= shape[i];
        }
        if (count > Array.MaxLength) throw new InvalidDataException($"{name}: {count} elements is more than one array can hold.");
        return (type, shape, count);
    }

    /// <summary>Reads <paramref name="count"/> little-endian values of <paramref name="type"/>, widened to double, in chunks of at most 1 MiB.</summary>
    private static double[] ReadValues(Stream s, string name, NpyType type, long count)
    {
        int size = type is NpyType.Float64 or NpyType.Int64 ? 8 : 4;
        // the bytes must be there before the array is allocated: a corrupt shape must not ask for gigabytes
        if (s.CanSeek && s.Length - s.Position < count * size) throw Truncated(name, count, (s.Length - s.Position) / size);
        var values = new double[count];
        var buf = new byte[Math.Min(count * size, 1 << 20)];
        long done = 0;
        while (done < count)
        {
            int want = (int)Math.Min(buf.Length / size, count - done);
            int got = ReadFully(s, buf.AsSpan(0, want * size));
            if (got < want * size) throw Truncated(name, count, done + got / size);
            for (int i = 0; i < want; i++)
            {
                var b = buf.AsSpan(i * size, size);
                values[done + i] = type switch
                {
                    NpyType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(b),
                    NpyType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(b),
                    NpyType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(b),
                    _ => BinaryPrimitives.ReadInt64LittleEndian(b),
                };
            }
            done += want;
        }
        return values;
    }

    /// <summary>Reads a 2-D float array, checking its shape; returns (values, rows, cols).</summary>
    /// <param name="path">the file.</param>
    /// <param name="what">the array's name in error messages (X, W, …).</param>
    /// <param name="waiting">told when the open blocks (<see cref="InputFile.OpenRead"/>).</param>
    public static (double[] Values, int Rows, int Cols) ReadMatrix(string path, string what, Action<string>? waiting = null)
    {
        var a = Read(path, waiting);
        if (a.Shape.Length != 2)
            throw new InvalidDataException($"{path}: {what} must be a 2-D array, got shape ({string.Join(", ", a.Shape)}).");
        return (a.Values, a.Shape[0], a.Shape[1]);
    }

    /// <summary>Writes <paramref name="values"/> with the given shape as a little-endian, C-order .npy file of dtype <paramref name="type"/>, atomically.</summary>
    public static void Write(string path, ReadOnlySpan<double> values, int[] shape, NpyType type = NpyType.Float64)
    {
        long count = shape.Aggregate(1L, (x, y) => x * y);
        if (count != values.Length) throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {count} values, got {values.Length}.", nameof(shape));
        if (shape.Length is < 1 or > 2) throw new ArgumentException("only 1-D and 2-D arrays are written.", nameof(shape));
        string descr = type switch { NpyType.Float64 => "<f8", NpyType.Float32 => "<f4", NpyType.Int32 => "<i4", _ => "<i8" };
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({shape[0]}, {shape[1]})";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        string header = dict + new string(' ', pad) + "\n";
        int size = type is NpyType.Float64 or NpyType.Int64 ? 8 : 4;
        var bytes = new byte[10 + header.Length + values.Length * size];
        Magic.CopyTo(bytes, 0);
        bytes[6] = 1; bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.Latin1.GetBytes(header, bytes.AsSpan(10));
        int off = 10 + header.Length;
        for (int i = 0; i < values.Length; i++, off += size)
        {
            var b = bytes.AsSpan(off, size);
            switch (type)
            {
                case NpyType.Float64: BinaryPrimitives.WriteDoubleLittleEndian(b, values[i]); break;
                case NpyType.Float32: BinaryPrimitives.WriteSingleLittleEndian(b, (float)values[i]); break;
                case NpyType.Int32: BinaryPrimitives.WriteInt32LittleEndian(b, checked((int)values[i])); break;
                default: BinaryPrimitives.WriteInt64LittleEndian(b, checked((long)values[i])); break;
            }
        }
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>Writes a 1-D int64 .npy file (labels), atomically.</summary>
    public static void Write(string path, int[] values) =>
        Write(path, values.Select(v => (double)v).ToArray(), [values.Length], NpyType.Int64);

    private static string TrailingBytes(Stream s) => s.CanSeek ? $"{s.Length - s.Position + 1} trailing bytes" : "trailing bytes";

    private static string Entry(Dictionary<string, string> entries, string key, string name) =>
        entries.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{name}: corrupt .npy header (no '{key}' entry).");

    /// <summary>
    /// The header's Python dict literal, strictly: {'descr': '…', 'fortran_order': True|False, 'shape': (…), } with exactly
    /// these three keys (quotes ' or "), any spacing, an optional trailing comma, then padding spaces and a newline.
    /// Values are returned as written (strings unquoted). Anything else is a corrupt header.
    /// </summary>
    private static Dictionary<string, string> ParseHeader(string header, string name)
    {
        InvalidDataException Corrupt(string why) => new($"{name}: corrupt .npy header ({why}); rewrite the file with numpy.save.");
        string h = header.TrimEnd(' ', '\n', '\r', '\t', '\0');
        if (!h.StartsWith('{') || !h.EndsWith('}')) throw Corrupt("not a dict literal");
        var entries = new Dictionary<string, string>();
        int i = 1, end = h.Length - 1;
        void SkipSpace() { while (i < end && char.IsWhiteSpace(h[i])) i++; }
        string Quoted()
        {
            char q = h[i];
            int close = h.IndexOf(q, i + 1);
            if (close < 0 || close >= end) throw Corrupt("an unterminated string");
            string v = h[(i + 1)..close];
            i = close + 1;
            return v;
        }
        while (true)
        {
            SkipSpace();
            if (i >= end) break;
            if (h[i] is not ('\'' or '"')) throw Corrupt($"unexpected '{h[i]}' where a key should be");
            string key = Quoted();
            SkipSpace();
            if (i >= end || h[i] != ':') throw Corrupt($"no ':' after '{key}'");
            i++;
            SkipSpace();
            if (i >= end) throw Corrupt($"no value for '{key}'");
            string value;
            if (h[i] is '\'' or '"') value = Quoted();
            else if (h[i] == '(')
            {
                int close = h.IndexOf(')', i);
                if (close < 0 || close >= end) throw Corrupt("an unterminated shape tuple");
                value = h[i..(close + 1)];
                i = close + 1;
            }
            else
            {
                int start = i;
                while (i < end && (char.IsLetterOrDigit(h[i]) || h[i] == '_')) i++;
                value = h[start..i];
                if (value.Length == 0) throw Corrupt($"unexpected '{h[i]}' in the value of '{key}'");
            }
            if (key is not ("descr" or "fortran_order" or "shape")) throw Corrupt($"unknown entry '{key}'");
            if (!entries.TryAdd(key, value)) throw Corrupt($"'{key}' appears twice");
            SkipSpace();
            if (i < end && h[i] == ',') { i++; continue; }
            SkipSpace();
            if (i < end) throw Corrupt($"unexpected '{h[i]}' after the value of '{key}'");
        }
        return entries;
    }

    private static InvalidDataException Truncated(string name, long expected = -1, long got = -1) =>
        new(expected < 0 ? $"{name}: truncated .npy file (header cut short)."
            : $"{name}: truncated .npy file: the header promises {expected} values but only {got} are present.");

    private static int ReadFully(Stream s, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int r = s.Read(buffer[total..]);
            if (r == 0) break;
            total += r;
        }
        return total;
    }
}
