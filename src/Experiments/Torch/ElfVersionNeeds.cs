using System.Buffers.Binary;
using System.Text;

namespace HeavyTail.Experiments.Torch;

/// <summary>One symbol-version requirement of a shared object (an Elf64_Vernaux entry of <c>.gnu.version_r</c>).</summary>
/// <param name="FlagsOffset">File offset of the entry's 16-bit <c>vna_flags</c>.</param>
/// <param name="Index">The version index (<c>vna_other</c>) that <c>.gnu.version</c> gives the symbols bound to it.</param>
public sealed record VersionNeed(string File, string Version, ushort Flags, long FlagsOffset, ushort Index)
{
    public const ushort Weak = 0x2; // VER_FLG_WEAK: the dynamic loader does not fail when the version is missing
    public bool IsWeak => (Flags & Weak) != 0;
}

/// <summary>
/// The parts of a little-endian ELF64 shared object that decide whether the dynamic loader accepts it against a given
/// libstdc++: the version requirements (<c>.gnu.version_r</c>), the versions a library defines (<c>.gnu.version_d</c>),
/// and which dynamic symbols relocations refer to (a symbol no relocation refers to is never looked up).
/// </summary>
public sealed class ElfVersionNeeds
{
    private const uint ShtRela = 4, ShtRel = 9, ShtDynsym = 11, ShtVerdef = 0x6ffffffd, ShtVerneed = 0x6ffffffe, ShtVersym = 0x6fffffff;
    private readonly byte[] _b;
    private readonly (uint Type, long Offset, long Size, uint Link, long EntSize)[] _sections;

    public ElfVersionNeeds(byte[] bytes, string name)
    {
        _b = bytes;
        Name = name;
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new InvalidDataException($"{name}: not an ELF file.");
        if (bytes[4] != 2 || bytes[5] != 1) throw new InvalidDataException($"{name}: only little-endian ELF64 is supported.");
        long shoff = (long)U64(0x28);
        int shentsize = U16(0x3A), shnum = U16(0x3C);
        if (shoff <= 0 || shentsize < 64 || shoff + (long)shnum * shentsize > bytes.Length) throw new InvalidDataException($"{name}: truncated section header table.");
        _sections = new (uint, long, long, uint, long)[shnum];
        for (int i = 0; i < shnum; i++)
        {
            long s = shoff + (long)i * shentsize;
            _sections[i] = (U32(s + 4), (long)U64(s + 24), (long)U64(s + 32), U32(s + 40), (long)U64(s + 56));
            if (_sections[i].Item1 != 8 /*NOBITS*/ && _sections[i].Item2 + _sections[i].Item3 > bytes.Length)
                throw new InvalidDataException($"{name}: section {i} lies outside the file (truncated?).");
        }
    }

    public string Name { get; }
    public byte[] Bytes => _b;

    public static ElfVersionNeeds Read(string path) => new(File.ReadAllBytes(path), path);

    /// <summary>Every Vernaux entry, in file order.</summary>
    public IReadOnlyList<VersionNeed> Needs()
    {
        var list = new List<VersionNeed>();
        foreach (var sec in _sections.Where(s => s.Type == ShtVerneed))
        {
            long strtab = _sections[sec.Link].Offset;
            long p = sec.Offset;
            while (true)
            {
                int cnt = U16(p + 2);
                string file = Str(strtab, U32(p + 4));
                long a = p + U32(p + 8);
                for (int i = 0; i < cnt; i++)
                {
                    list.Add(new VersionNeed(file, Str(strtab, U32(a + 8)), (ushort)U16(a + 4), a + 4, (ushort)U16(a + 6)));
                    uint next = U32(a + 12);
                    if (next == 0) break;
                    a += next;
                }
                uint vnNext = U32(p + 12);
                if (vnNext == 0) break;
                p += vnNext;
            }
        }
        return list;
    }

    /// <summary>The version names a library defines (Verdef entries; the first Verdaux of each names it).</summary>
    public IReadOnlySet<string> Definitions()
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sec in _sections.Where(s => s.Type == ShtVerdef))
        {
            long strtab = _sections[sec.Link].Offset;
            long p = sec.Offset;
            while (true)
            {
                set.Add(Str(strtab, U32(p + U32(p + 12))));
                uint next = U32(p + 16);
                if (next == 0) break;
                p += next;
            }
        }
        return set;
    }

    /// <summary>Names of the dynamic symbols bound to version index <paramref name="index"/> that some relocation refers to.</summary>
    public IReadOnlyList<string> RelocatedSymbolsOfVersion(ushort index)
    {
        int dynIdx = Array.FindIndex(_sections, s => s.Type == ShtDynsym);
        int verIdx = Array.FindIndex(_sections, s => s.Type == ShtVersym);
        if (dynIdx < 0 || verIdx < 0) return [];
        var dyn = _sections[dynIdx];
        long strtab = _sections[dyn.Link].Offset;
        var referenced = new HashSet<uint>();
        foreach (var rel in _sections.Where(s => (s.Type == ShtRela || s.Type == ShtRel) && s.Link == dynIdx))
        {
            long ent = rel.EntSize > 0 ? rel.EntSize : rel.Type == ShtRela ? 24 : 16;
            for (long p = rel.Offset; p + ent <= rel.Offset + rel.Size; p += ent) referenced.Add((uint)(U64(p + 8) >> 32));
        }
        var names = new List<string>();
        foreach (var sym in referenced)
        {
            long vs = _sections[verIdx].Offset + 2L * sym;
            if ((U16(vs) & 0x7fff) == index) names.Add(Str(strtab, U32(dyn.Offset + sym * 24L)));
        }
        return names;
    }

    /// <summary>A copy of the file with VER_FLG_WEAK set on the given requirements.</summary>
    public byte[] WithWeak(IEnumerable<VersionNeed> needs)
    {
        var copy = (byte[])_b.Clone();
        foreach (var n in needs)
            BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan((int)n.FlagsOffset, 2), (ushort)(n.Flags | VersionNeed.Weak));
        return copy;
    }

    private ushort U16(long o) => BinaryPrimitives.ReadUInt16LittleEndian(Span(o, 2));
    private uint U32(long o) => BinaryPrimitives.ReadUInt32LittleEndian(Span(o, 4));
    private ulong U64(long o) => BinaryPrimitives.ReadUInt64LittleEndian(Span(o, 8));

    private ReadOnlySpan<byte> Span(long o, int n)
    {
        if (o < 0 || o + n > _b.Length) throw new InvalidDataException($"{Name}: truncated ELF structure at offset {o}.");
        return _b.AsSpan((int)o, n);
    }

    private string Str(long table, uint offset)
    {
        long start = table + offset;
        if (start >= _b.Length) throw new InvalidDataException($"{Name}: string offset outside the file.");
        int end = Array.IndexOf(_b, (byte)0, (int)start);
        if (end < 0) throw new InvalidDataException($"{Name}: unterminated string.");
        return Encoding.ASCII.GetString(_b, (int)start, end - (int)start);
    }
}
