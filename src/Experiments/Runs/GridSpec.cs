using System.Text.Json;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Runs;

/// <summary>
/// The user's arrays a grid runs on: their paths (absolute), how they are read (loss, --bias, --groups) and their
/// content hash (<see cref="ProblemFiles.ContentSha256"/>), which keys the runs and must agree across shards.
/// </summary>
public sealed record GridData(string X, string Y, string? Targets, string Loss, bool Bias, int? Groups, string Sha256)
{
    /// <summary>The arrays read again (merge), refused in one line when their content no longer has <see cref="Sha256"/>.</summary>
    public Problem Load()
    {
        var loaded = ProblemFiles.LoadArrays(X, Y, Targets, Loss, null);
        var problem = ProblemFiles.WithBiasAndGroups(loaded, new Dictionary<string, object>(loaded.Info), Bias, Groups);
        var now = (string)problem.Info[ProblemFiles.DataHashKey];
        if (now != Sha256)
            throw new UserError($"{X} and {Y} changed since the grid ran (data_sha256 {now}, grid.json says {Sha256}); rerun the shards on the current data or restore the files.");
        return problem;
    }
}

/// <summary>A grid search as grid.json records it: the problem or the user's arrays, the optimizer template, steps, seeds, step sizes, selection rule and precision.</summary>
public sealed record GridSpec(ProblemOptions Problem, OptimizerSettings Optimizer, int Steps, int LogEvery, long[] Seeds, double[]? Lrs)
{
    /// <summary>The stability rule's criterion; null: the final-loss rule alone (--stability off).</summary>
    public StabilityCriterion? Stability { get; init; } = StabilityCriterion.Default;

    /// <summary>The precision the grid's runs compute in (grid.json's "dtype"; float64 for grids written before it).</summary>
    public Precision Precision { get; init; } = Precision.Float64;

    /// <summary>The user's arrays (--x/--y), or null for a generated problem (<see cref="Problem"/>).</summary>
    public GridData? Data { get; init; }

    /// <summary>grid.json; <paramref name="withPaths"/> false leaves out the arrays' paths (shards on other machines see other paths).</summary>
    public Dictionary<string, object?> ToJson(bool withPaths = true)
    {
        var json = new Dictionary<string, object?> { ["stability"] = Stability?.ToJson() };
        if (Data is { } g)
        {
            json["problem"] = "arrays";
            if (withPaths) { json["x"] = g.X; json["y"] = g.Y; json["targets"] = g.Targets; }
            json["loss"] = g.Loss; json["bias"] = g.Bias; json["groups"] = g.Groups; json[ProblemFiles.DataHashKey] = g.Sha256;
        }
        else
        {
            json["problem"] = Problem.Name; json["m"] = Problem.M; json["samples"] = Problem.Samples; json["classes"] = Problem.Classes; json["dim"] = Problem.Dimension;
            json["zipf_exponent"] = Problem.ZipfExponent; json["k"] = Problem.K; json["inputs"] = Problem.Inputs;
        }
        json["optimizer"] = Optimizer.Name; json["momentum"] = Optimizer.Momentum; json["beta1"] = Optimizer.Beta1; json["beta2"] = Optimizer.Beta2; json["eps"] = Optimizer.Eps;
        var uses = Optimizer.Descriptor.Uses;
        if (uses.HasFlag(HyperParameters.Nesterov)) json["nesterov"] = Optimizer.Nesterov;
        if (uses.HasFlag(HyperParameters.WeightDecay)) json["weight_decay"] = Optimizer.WeightDecay;
        json["steps"] = Steps; json["log_every"] = LogEvery; json["seeds"] = Seeds; json["lrs"] = Lrs; json["dtype"] = Precision.Name();
        return json;
    }

    /// <summary>Reads grid.json; a missing or corrupt file is one <see cref="UserError"/> line.</summary>
    public static GridSpec FromJson(string path)
    {
        if (!File.Exists(path)) throw new UserError($"{path} not found: not a grid folder (run `heavytail grid … --out DIR` first).");
        JsonElement e;
        try { e = JsonDocument.Parse(File.ReadAllText(path)).RootElement; }
        catch (JsonException) { throw new UserError($"{path} is corrupt (not JSON); rerun the grid shard."); }
        int? I(string k) => e.GetProperty(k).ValueKind == JsonValueKind.Null ? null : e.GetProperty(k).GetInt32();
        string? S(string k) => e.GetProperty(k).ValueKind == JsonValueKind.Null ? null : e.GetProperty(k).GetString();
        GridData? data = null;
        ProblemOptions po;
        if (e.GetProperty("problem").GetString() == "arrays")
        {
            data = new GridData(S("x")!, S("y")!, S("targets"), S("loss")!, e.GetProperty("bias").GetBoolean(), I("groups"), S(ProblemFiles.DataHashKey)!);
            po = new ProblemOptions { Name = "arrays" };
        }
        else po = new ProblemOptions
        {
            Name = e.GetProperty("problem").GetString()!, M = e.GetProperty("m").GetInt32(), Samples = I("samples"), Classes = I("classes"), Dimension = I("dim"),
            ZipfExponent = e.GetProperty("zipf_exponent").GetDouble(), K = e.GetProperty("k").GetInt32(), Inputs = e.GetProperty("inputs").GetString()!,
        };
        var os = new OptimizerSettings(e.GetProperty("optimizer").GetString()!, 1.0)
        {
            Momentum = e.GetProperty("momentum").GetDouble(), Beta1 = e.GetProperty("beta1").GetDouble(), Beta2 = e.GetProperty("beta2").GetDouble(),
            Eps = e.GetProperty("eps").ValueKind == JsonValueKind.Null ? null : e.GetProperty("eps").GetDouble(),
            Nesterov = !e.TryGetProperty("nesterov", out var nv) || nv.ValueKind != JsonValueKind.False,
            WeightDecay = e.TryGetProperty("weight_decay", out var wd) && wd.ValueKind == JsonValueKind.Number ? wd.GetDouble() : 0,
        };
        var lrs = e.GetProperty("lrs").ValueKind == JsonValueKind.Null ? null : e.GetProperty("lrs").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        // grids written before the stability rule have no "stability" entry: they selected by the final loss alone
        StabilityCriterion? stability = e.TryGetProperty("stability", out var st) && st.ValueKind == JsonValueKind.Object
            ? new StabilityCriterion(st.GetProperty("max_loss_factor").GetDouble(), st.GetProperty("max_rise_fraction").GetDouble())
            : null;
        var precision = e.TryGetProperty("dtype", out var dt) && dt.ValueKind == JsonValueKind.String
            ? PrecisionNames.Parse(dt.GetString()!, $"{path}: dtype") : Precision.Float64;
        return new GridSpec(po, os, e.GetProperty("steps").GetInt32(), e.GetProperty("log_every").GetInt32(),
            e.GetProperty("seeds").EnumerateArray().Select(x => x.GetInt64()).ToArray(), lrs) { Stability = stability, Data = data, Precision = precision };
    }
}
