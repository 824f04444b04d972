using System.Text;
using HeavyTail.Analytic.IO;

namespace HeavyTail.Analytic.Tests;

public class NpyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("npy").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData(NpyType.Float64)] [InlineData(NpyType.Float32)] [InlineData(NpyType.Int32)] [InlineData(NpyType.Int64)]
    public void Round_trips_2d_and_1d(NpyType type)
    {
        var v = new double[] { 1, -2, 3.5, 4, 0, 7 };
        if (type is NpyType.Int32 or NpyType.Int64) v[2] = 3;
        string p2 = Path.Combine(_dir, "a.npy"), p1 = Path.Combine(_dir, "b.npy");
        Npy.Write(p2, v, [2, 3], type);
        Npy.Write(p1, v, [6], type);
        var a = Npy.Read(p2); var b = Npy.Read(p1);
        Assert.Equal([2, 3], a.Shape); Assert.Equal([6], b.Shape);
        Assert.Equal(type, a.Type);
        Assert.Equal(v, a.Values); Assert.Equal(v, b.Values);
        Assert.Equal(0, (new FileInfo(p2).Length - v.Length * (type is NpyType.Float64 or NpyType.Int64 ? 8 : 4)) % 64);
    }

    [Fact]
    public void Float64_round_trip_is_bit_exact()
    {
        var rng = new SeededRandom(9);
        var v = Enumerable.Range(0, 100).Select(_ => rng.NextGaussian() * 1e-200).Concat([double.Epsilon, double.MaxValue, -0.0]).ToArray();
        string p = Path.Combine(_dir, "x.npy");
        Npy.Write(p, v, [v.Length]);
        Assert.Equal(v.Select(BitConverter.DoubleToInt64Bits), Npy.Read(p).Values.Select(BitConverter.DoubleToInt64Bits));
    }

    private string WriteRaw(string header, byte[] data, int version = 1)
    {
        string p = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".npy");
        var h = Encoding.Latin1.GetBytes(header + "\n");
        using var f = File.Create(p);
        f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0]);
        if (version == 1) f.Write(BitConverter.GetBytes((ushort)h.Length));
        else f.Write(BitConverter.GetBytes((uint)h.Length));
        f.Write(h); f.Write(data);
        return p;
    }

    [Fact]
    public void Reads_version_2_headers()
    {
        var p = WriteRaw("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", BitConverter.GetBytes(1.5).Concat(BitConverter.GetBytes(2.5)).ToArray(), 2);
        Assert.Equal([1.5, 2.5], Npy.Read(p).Values);
    }

    [Fact]
    public void Fortran_order_is_rejected_with_the_fix()
    {
        var p = WriteRaw("{'descr': '<f8', 'fortran_order': True, 'shape': (1, 1), }", new byte[8]);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(p));
        Assert.Contains("Fortran", e.Message); Assert.Contains("ascontiguousarray", e.Message);
    }

    [Theory]
    [InlineData("<c16")] [InlineData(">f8")] [InlineData("|u1")] [InlineData("<f2")]
    public void Unsupported_dtypes_are_rejected(string descr)
    {
        var p = WriteRaw($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (1,), }}", new byte[16]);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(p));
        Assert.Contains(descr, e.Message);
    }

    [Fact]
    public void Truncated_data_says_how_much_is_missing()
    {
        var p = WriteRaw("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", new byte[20]);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(p));
        Assert.Contains("truncated", e.Message); Assert.Contains("4 values", e.Message);
    }

    [Fact]
    public void Truncated_header_and_non_npy_files_are_rejected()
    {
        string p = Path.Combine(_dir, "t.npy");
        File.WriteAllBytes(p, [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 200, 0, 1, 2]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Npy.Read(p)).Message);
        File.WriteAllText(p, "a,b,c\n1,2,3\n");
        Assert.Contains("not a .npy file", Assert.Throws<InvalidDataException>(() => Npy.Read(p)).Message);
        File.WriteAllBytes(p, []);
        Assert.Contains("not a .npy file", Assert.Throws<InvalidDataException>(() => Npy.Read(p)).Message);
        Assert.Throws<FileNotFoundException>(() => Npy.Read(Path.Combine(_dir, "missing.npy")));
    }

    [Fact]
    public void Three_dimensional_and_corrupt_shapes_are_rejected()
    {
        var p = WriteRaw("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }", new byte[8]);
        Assert.Contains("dimensions", Assert.Throws<InvalidDataException>(() => Npy.Read(p)).Message);
        p = WriteRaw("{'descr': '<f8', 'fortran_order': False, 'shape': (x,), }", new byte[8]);
        Assert.Contains("shape", Assert.Throws<InvalidDataException>(() => Npy.Read(p)).Message);
        p = WriteRaw("{'fortran_order': False, 'shape': (1,), }", new byte[8]);
        Assert.Contains("descr", Assert.Throws<InvalidDataException>(() => Npy.Read(p)).Message);
    }

    [Fact]
    public void Non_integer_labels_are_rejected()
    {
        var a = new NpyArray([2], NpyType.Float64, [1.0, 2.5]);
        Assert.Contains("2.5", Assert.Throws<InvalidDataException>(() => a.ToInt32("y")).Message);
    }
}
