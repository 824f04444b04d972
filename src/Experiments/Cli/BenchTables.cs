using Spectre.Console;

namespace HeavyTail.Experiments.Cli;

/// <summary>The tables `heavytail bench` prints from <see cref="Runs.Benchmarks.BenchResult"/>'s rows.</summary>
public static class BenchTables
{
    /// <summary>The spectra rows: per task HVPs, seconds, our cost in gradients and PyHessian's.</summary>
    public static void PrintSpectra(CliContext ctx, IReadOnlyList<Dictionary<string, object?>> rows)
    {
        var t = new Table();
        // per task: HVPs, seconds, our cost in gradient-times, PyHessian's for the same HVP count (2 gradients per HVP)
        foreach (var h in new[] { "m", "W", "task", "HVPs", "seconds", "ours (gradients)", "PyHessian (gradients)", "converged" })
            t.AddColumn(new TableColumn(h).RightAligned());
        string F(object? v) => v switch { double d => d.ToString("G4"), int i => i.ToString(), bool b => b ? "yes" : "NO", _ => "–" };
        foreach (var r in rows)
            foreach (var (task, label) in new[] { ("top1", "top-1, tol 1e-10"), ("top5", "top-5, tol 1e-10"), ("top1_tol1e-3", "top-1, tol 1e-3"), ("top5_tol1e-3", "top-5, tol 1e-3"), ("density", "SLQ density 4×30") })
                t.AddRow(F(r["m"]), Markup.Escape(r["state"]!.ToString()!), label, F(r[task + "_hvps"]), F(r[task + "_s"]), F(r[task + "_in_gradients"]), F(r[task + "_pyhessian_gradients"]), F(r.GetValueOrDefault(task + "_converged")));
        ctx.Console.Write(t);
        if (rows.Count > 0) ctx.Console.WriteLine($"gradient {F(rows[^1]["gradient_s"])} s, HVP {F(rows[^1]["hvp_s"])} s at m = {rows[^1]["m"]}");
    }

    /// <summary>The grid rows: batched, Gram batched and one-after-another seconds against the peers.</summary>
    public static void PrintGrid(CliContext ctx, IReadOnlyList<Dictionary<string, object?>> rows)
    {
        var t = new Table();
        foreach (var h in new[] { "backend", "dtype", "m", "runs × steps", "batched s", "Gram batched s", "one after another s", "PyTorch s", "NumPy s", "PyTorch / batched", "PyTorch / Gram" })
            t.AddColumn(new TableColumn(h).RightAligned());
        string F(object? v) => v is double d ? d.ToString("G4") : "–";
        foreach (var r in rows)
        {
            double? torch = r.GetValueOrDefault("torch_manual_s") as double?;
            t.AddRow(r["backend"]!.ToString()!, r["dtype"]!.ToString()!, r["m"]!.ToString()!, $"{r["runs"]} × {r["steps"]}", F(r["batched_s"]), F(r.GetValueOrDefault("gram_batched_s")), F(r["sequential_s"]),
                F(r.GetValueOrDefault("torch_manual_s")), F(r.GetValueOrDefault("numpy_manual_s")), torch is double tv ? (tv / (double)r["batched_s"]!).ToString("F2") : "–",
                torch is double tg && r.GetValueOrDefault("gram_batched_s") is double g ? (tg / g).ToString("F2") : "–");
        }
        ctx.Console.Write(t);
    }

    /// <summary>The step rows, and the FMA peaks they are a fraction of.</summary>
    public static void Print(CliContext ctx, IReadOnlyList<Dictionary<string, object?>> rows, IReadOnlyDictionary<string, double> machinePeaks)
    {
        var t = new Table();
        // short headers so the table fits 120 columns: ÷ = our step time divided by theirs
        foreach (var h in new[] { "backend", "dtype", "m", "step s", "GFLOP/s", "% GEMM", "% machine", "PyTorch s", "÷ PyTorch", "best peer", "peer s", "÷ peer", "traces/grad", "diag/grad", "peak MB" })
            t.AddColumn(new TableColumn(h).RightAligned());
        string F(object? v, string fmt) => v is double d ? d.ToString(fmt) : "–";
        foreach (var r in rows)
            t.AddRow(r["backend"]!.ToString()!, r["dtype"]!.ToString()!, r["m"]!.ToString()!, F(r["step_s"], "G4"), F(r["gflops"], "F1"),
                F((double)r["fraction_of_gemm_peak"]! * 100, "F0"), F(r.GetValueOrDefault("fraction_of_machine_peak") is double fm ? fm * 100 : null, "F0"), F(r.GetValueOrDefault("torch_step_s"), "G4"), F(r.GetValueOrDefault("ratio_to_torch"), "F2"), Markup.Escape(r.GetValueOrDefault("peer")?.ToString()?.Split('_')[0] ?? "–"), F(r.GetValueOrDefault("peer_step_s"), "G4"), F(r.GetValueOrDefault("ratio_to_peer"), "F2"),
                F(r.GetValueOrDefault("block_traces_over_gradient"), "F2"), F(r.GetValueOrDefault("hessian_diag_over_gradient"), "F2"), F(r["peak_working_set_mb"], "F0"));
        ctx.Console.Write(t);
        if (machinePeaks.Count > 0)
            ctx.Console.WriteLine("% GEMM: of our 2048³ GEMM on the same backend; % machine: of the CPU's FMA throughput measured here (" +
                string.Join(", ", machinePeaks.Select(kv => $"{kv.Key} {kv.Value:F0} GFLOP/s")) + $", {Environment.ProcessorCount} cores)");
    }

    /// <summary>The path rows: per path the setup, step, GFLOP/s and % machine, K on the Gram path, and the peers' step.</summary>
    public static void PrintPaths(CliContext ctx, IReadOnlyList<Dictionary<string, object?>> rows)
    {
        var t = new Table();
        foreach (var h in new[] { "backend", "dtype", "m", "path", "setup s", "K s", "K GFLOP/s", "K % machine", "step s", "GFLOP/s", "% machine", "PyTorch s", "÷ PyTorch", "best peer", "÷ peer", "peak MB" })
            t.AddColumn(new TableColumn(h).RightAligned());
        foreach (var r in rows)
            t.AddRow(S(r["backend"]), S(r["dtype"]), S(r["m"]), S(r["path"]), F(r["setup_s"], "G4"), F(r.GetValueOrDefault("k_s"), "G4"), F(r.GetValueOrDefault("k_gflops"), "F1"),
                F(Percent(r.GetValueOrDefault("k_fraction_of_machine_peak")), "F0"), F(r["step_s"], "G4"), F(r["gflops"], "F1"), F(Percent(r.GetValueOrDefault("fraction_of_machine_peak")), "F0"),
                F(r.GetValueOrDefault("torch_step_s"), "G4"), F(r.GetValueOrDefault("ratio_to_torch"), "F2"), Markup.Escape(r.GetValueOrDefault("peer")?.ToString()?.Split('_')[0] ?? "–"),
                F(r.GetValueOrDefault("ratio_to_peer"), "F2"), F(r["peak_working_set_mb"], "F0"));
        ctx.Console.Write(t);
    }

    /// <summary>The train rows: the training loop's setup (data, stepper, first step's extra) and steady step against the path row's.</summary>
    public static void PrintTrain(CliContext ctx, IReadOnlyList<Dictionary<string, object?>> rows)
    {
        var t = new Table();
        foreach (var h in new[] { "backend", "dtype", "m", "path", "steps", "data s", "stepper s", "first step s", "setup s", "step s", "setup ÷ step", "step ÷ bench", "peak MB" })
            t.AddColumn(new TableColumn(h).RightAligned());
        foreach (var r in rows)
            t.AddRow(S(r["backend"]), S(r["dtype"]), S(r["m"]), S(r["path"]), S(r["steps"]), F(r["data_s"], "G4"), F(r["stepper_s"], "G4"), F(r["first_step_s"], "G4"),
                F(r["setup_s"], "G4"), F(r["step_s"], "G4"), F(r["setup_over_step"], "F2"), F(r["step_over_bench"], "F2"), F(r["peak_working_set_mb"], "F0"));
        ctx.Console.Write(t);
    }

    private static string S(object? v) => Markup.Escape(v?.ToString() ?? "–");
    private static string F(object? v, string fmt) => v is double d ? d.ToString(fmt) : "–";
    private static double? Percent(object? v) => v is double d ? d * 100 : null;
}
