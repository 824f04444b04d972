using System.Reflection;
using System.Reflection.Emit;

namespace HeavyTail.Experiments.Tests;

/// <summary>
/// The layers of src/ point one way: the namespace dependency graph of every src assembly, read from the compiled types
/// (signatures and the IL of every method body, lambdas included), has no cycle, and the Experiments layers depend only
/// downward (runs → recipes → CLI). The core library does not reference FsCheck.
/// </summary>
public class LayeringTests
{
    private static readonly Assembly[] Src =
    [
        typeof(Analytic.Softmax).Assembly, typeof(Analytic.Testing.ProblemCase).Assembly, typeof(Ode.Flows.ModelFlow).Assembly,
        typeof(Gpu.IlgpuProvider).Assembly, typeof(Runs.RunCache).Assembly, typeof(Recipes.Cookbook).Assembly,
        typeof(HeavyTail.Experiments.Torch.TorchCookbook).Assembly, typeof(Cli.HeavyTailCli).Assembly,
    ];

    [Fact]
    public void Experiments_layers_are_separate_assemblies_that_reference_only_downward()
    {
        string[] Refs(Assembly a) => a.GetReferencedAssemblies().Select(r => r.Name!).Where(n => n.StartsWith("HeavyTail")).ToArray();
        var runs = Refs(typeof(Runs.RunCache).Assembly);
        Assert.DoesNotContain(runs, n => n.StartsWith("HeavyTail.Experiments") || n == "heavytail");
        var recipes = Refs(typeof(Recipes.Cookbook).Assembly);
        Assert.Contains("HeavyTail.Experiments.Runs", recipes);
        Assert.DoesNotContain(recipes, n => n is "HeavyTail.Experiments.Torch" or "heavytail");
        Assert.DoesNotContain(typeof(Recipes.Cookbook).Assembly.GetReferencedAssemblies(), r => r.Name!.StartsWith("TorchSharp"));
        Assert.DoesNotContain(Refs(typeof(HeavyTail.Experiments.Torch.TorchCookbook).Assembly), n => n == "heavytail");
    }

    private static readonly Lazy<Dictionary<string, HashSet<string>>> Graph = new(Build);

    [Fact]
    public void No_namespace_cycles_in_src()
    {
        var g = Graph.Value;
        var cycles = StronglyConnected(g).Where(c => c.Count > 1).Select(c => string.Join(" ↔ ", c.OrderBy(x => x))).ToList();
        Assert.True(cycles.Count == 0, "namespace cycles: " + string.Join("; ", cycles) + "\n" + Edges(g, cycles));
        Assert.True(g.Count >= 20, $"only {g.Count} namespaces were read: the reader missed types");
    }

    [Theory]
    [InlineData("HeavyTail.Experiments.Runs", "HeavyTail.Experiments.Recipes")]
    [InlineData("HeavyTail.Experiments.Runs", "HeavyTail.Experiments.Cli")]
    [InlineData("HeavyTail.Experiments.Runs", "HeavyTail.Experiments.Recipes.Plots")]
    [InlineData("HeavyTail.Experiments.Recipes", "HeavyTail.Experiments.Cli")]
    [InlineData("HeavyTail.Experiments.Recipes.Report", "HeavyTail.Experiments.Cli")]
    [InlineData("HeavyTail.Experiments.Recipes.Plots", "HeavyTail.Experiments.Cli")]
    [InlineData("HeavyTail.Experiments.Torch", "HeavyTail.Experiments.Cli")]
    [InlineData("HeavyTail.Experiments.Recipes", "HeavyTail.Experiments.Torch")]
    [InlineData("HeavyTail.Experiments.Runs", "HeavyTail.Experiments.Torch")]
    [InlineData("HeavyTail.Analytic.Data", "HeavyTail.Analytic.Models")]
    [InlineData("HeavyTail.Analytic.LinearAlgebra", "HeavyTail.Analytic.Models")]
    [InlineData("HeavyTail.Ode.Optimizers", "HeavyTail.Ode.Training")]
    [InlineData("HeavyTail.Ode.Solvers", "HeavyTail.Ode.Training")]
    public void Layer_does_not_reach_up(string lower, string upper)
    {
        var g = Graph.Value;
        Assert.True(g.ContainsKey(lower), $"{lower} not found");
        Assert.DoesNotContain(upper, Reachable(g, lower));
    }

    /// <summary>Known edges (through a signature, a method body, a lambda): the reader does see dependencies.</summary>
    [Theory]
    [InlineData("HeavyTail.Experiments.Cli", "HeavyTail.Experiments.Recipes")]
    [InlineData("HeavyTail.Experiments.Recipes", "HeavyTail.Experiments.Runs")]
    [InlineData("HeavyTail.Experiments.Runs", "HeavyTail.Gpu")]
    [InlineData("HeavyTail.Gpu", "HeavyTail.Ode.Optimizers")]
    [InlineData("HeavyTail.Ode.Training", "HeavyTail.Analytic.Models")]
    [InlineData("HeavyTail.Analytic.Models", "HeavyTail.Analytic.LinearAlgebra")]
    public void Layer_uses_the_one_below(string upper, string lower) => Assert.Contains(lower, Graph.Value[upper]);

    [Fact]
    public void The_core_library_does_not_reference_FsCheck()
    {
        foreach (var a in new[] { typeof(Analytic.Softmax).Assembly, typeof(Ode.Flows.ModelFlow).Assembly, typeof(Gpu.IlgpuProvider).Assembly })
            Assert.DoesNotContain(a.GetReferencedAssemblies(), r => r.Name!.StartsWith("FsCheck"));
        Assert.Contains(typeof(Analytic.Testing.ProblemCase).Assembly.GetReferencedAssemblies(), r => r.Name!.StartsWith("FsCheck"));
    }

    /// <summary>
    /// No mutable static state in src/ (issue 22): every static field is readonly (or a constant), and none holds a mutable
    /// collection (a cache belongs to a value owned by a context or passed down). Compiler-generated fields (lambda caches) are left out.
    /// </summary>
    [Fact]
    public void No_mutable_static_state_in_src()
    {
        var mutableCollections = new[] { typeof(Dictionary<,>), typeof(List<>), typeof(HashSet<>), typeof(System.Collections.Concurrent.ConcurrentDictionary<,>),
            typeof(System.Collections.Concurrent.ConcurrentBag<>), typeof(Queue<>), typeof(Stack<>), typeof(AsyncLocal<>), typeof(ThreadLocal<>) };
        var found = new List<string>();
        int fields = 0;
        foreach (var asm in Src)
            foreach (var t in asm.GetTypes().Where(t => !t.Name.Contains('<') && !t.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute))))
                foreach (var f in t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (f.IsLiteral) continue;
                    fields++;
                    var ft = f.FieldType.IsGenericType ? f.FieldType.GetGenericTypeDefinition() : f.FieldType;
                    if (!f.IsInitOnly) found.Add($"{t.FullName}.{f.Name} (not readonly)");
                    else if (mutableCollections.Contains(ft)) found.Add($"{t.FullName}.{f.Name} ({ft.Name})");
                }
        Assert.True(fields > 20, $"only {fields} static fields were read");
        Assert.True(found.Count == 0, "mutable static state: " + string.Join("; ", found));
    }

    /// <summary>Folder = namespace: a file under src/&lt;A&gt;/&lt;B&gt;/… declares HeavyTail.&lt;A&gt;.&lt;B&gt;…
    /// (the folder src/Analytic/Testing is HeavyTail.Analytic.Testing, src/Experiments/Recipes/Plots is HeavyTail.Experiments.Recipes.Plots).</summary>
    [Fact]
    public void Every_source_file_declares_the_namespace_of_its_folder()
    {
        string src = Path.GetDirectoryName(CliHarness.RepoFile("src/Analytic/Softmax.cs"))!;
        src = Path.GetDirectoryName(src)!;
        var wrong = new List<string>();
        int read = 0;
        foreach (var file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(src, file);
            var parts = rel.Split(Path.DirectorySeparatorChar);
            if (parts.Any(p => p is "obj" or "bin")) continue;
            var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("namespace "));
            if (line is null) continue; // top-level statements (Program.cs)
            read++;
            string declared = line["namespace ".Length..].TrimEnd(';', ' ');
            string expected = "HeavyTail." + string.Join('.', parts[..^1]);
            if (declared != expected) wrong.Add($"{rel}: {declared} (expected {expected})");
        }
        Assert.True(read > 100, $"only {read} files were read");
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    private static string Edges(Dictionary<string, HashSet<string>> g, List<string> cycles) =>
        string.Join("\n", g.SelectMany(kv => kv.Value.Select(v => $"{kv.Key} → {v}")).Where(e => cycles.Any(c => e.Split(" → ").All(c.Contains))));

    private static HashSet<string> Reachable(Dictionary<string, HashSet<string>> g, string from)
    {
        var seen = new HashSet<string>(); var stack = new Stack<string>([from]);
        while (stack.Count > 0)
            foreach (var v in g.GetValueOrDefault(stack.Pop()) ?? [])
                if (seen.Add(v)) stack.Push(v);
        return seen;
    }

    private static Dictionary<string, HashSet<string>> Build()
    {
        var g = new Dictionary<string, HashSet<string>>();
        foreach (var asm in Src)
            foreach (var t in asm.GetTypes())
            {
                string? from = Ns(t);
                if (from == null) continue;
                var edges = g.TryGetValue(from, out var e) ? e : g[from] = [];
                foreach (var r in References(t))
                    if (Ns(r) is { } to && to != from) edges.Add(to);
            }
        return g;
    }

    /// <summary>The namespace of the outermost declaring type (closures and state machines count for their owner); null outside HeavyTail.</summary>
    private static string? Ns(Type t)
    {
        while (t.IsNested) t = t.DeclaringType!;
        if (t.IsGenericParameter) return null;
        return t.Namespace is { } n && n.StartsWith("HeavyTail.") && !n.StartsWith("HeavyTail.Experiments.Tests") ? n : null;
    }

    private static IEnumerable<Type> References(Type t)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new List<Type>();
        void Add(Type? x)
        {
            if (x == null) return;
            if (x.HasElementType) { Add(x.GetElementType()); return; }
            found.Add(x);
            if (x.IsGenericType && !x.IsGenericTypeDefinition) foreach (var a in x.GetGenericArguments()) Add(a);
        }
        Add(t.BaseType);
        foreach (var i in t.GetInterfaces()) Add(i);
        foreach (var f in t.GetFields(all)) Add(f.FieldType);
        foreach (var p in t.GetProperties(all)) Add(p.PropertyType);
        foreach (var m in t.GetMethods(all).Cast<MethodBase>().Concat(t.GetConstructors(all)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            byte[]? il;
            try { il = m.GetMethodBody()?.GetILAsByteArray(); } catch (Exception) { il = null; }
            if (il != null) foreach (var x in IlTokens(m, il)) Add(x);
        }
        return found;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The types named by the tokens of a method body (type, method, field and token operands).</summary>
    private static IEnumerable<Type> IlTokens(MethodBase m, byte[] il)
    {
        var module = m.Module;
        Type[]? typeArgs = m.DeclaringType is { IsGenericType: true } dt ? dt.GetGenericArguments() : null;
        Type[]? methodArgs = m.IsGenericMethod ? m.GetGenericArguments() : null;
        var result = new List<Type>();
        for (int i = 0; i < il.Length;)
        {
            short code = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            if (!OpCodesByValue.TryGetValue(code, out var op)) break;
            switch (op.OperandType)
            {
                case OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok:
                    int token = BitConverter.ToInt32(il, i);
                    try
                    {
                        var member = module.ResolveMember(token, typeArgs, methodArgs);
                        if (member is Type ty) result.Add(ty);
                        else if (member?.DeclaringType != null) result.Add(member.DeclaringType);
                        if (member is MethodInfo called) { result.Add(called.ReturnType); result.AddRange(called.GetParameters().Select(p => p.ParameterType)); }
                        if (member is FieldInfo fi) result.Add(fi.FieldType);
                    }
                    catch (Exception) { }
                    i += 4; break;
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: i += 1; break;
                case OperandType.InlineVar: i += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: i += 8; break;
                case OperandType.InlineSwitch: i += 4 + 4 * BitConverter.ToInt32(il, i); break;
                default: i += 4; break;
            }
        }
        return result;
    }

    /// <summary>Tarjan's strongly connected components.</summary>
    private static List<List<string>> StronglyConnected(Dictionary<string, HashSet<string>> g)
    {
        int index = 0;
        var idx = new Dictionary<string, int>(); var low = new Dictionary<string, int>();
        var stack = new Stack<string>(); var on = new HashSet<string>(); var result = new List<List<string>>();
        void Visit(string v)
        {
            idx[v] = low[v] = index++; stack.Push(v); on.Add(v);
            foreach (var w in g.GetValueOrDefault(v) ?? [])
            {
                if (!idx.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (on.Contains(w)) low[v] = Math.Min(low[v], idx[w]);
            }
            if (low[v] != idx[v]) return;
            var comp = new List<string>();
            string x;
            do { x = stack.Pop(); on.Remove(x); comp.Add(x); } while (x != v);
            result.Add(comp);
        }
        foreach (var v in g.Keys.ToList()) if (!idx.ContainsKey(v)) Visit(v);
        return result;
    }
}
