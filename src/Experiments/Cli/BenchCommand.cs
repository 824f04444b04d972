using System.CommandLine;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Runs;
using HeavyTail.Experiments.Runs.Benchmarks;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `heavytail bench`: parses the options into a <see cref="BenchRequest"/>, runs <see cref="Benchmark.Run"/> and prints
/// its rows (<see cref="BenchTables"/>); --out writes them as JSON lines. The measurements, the FMA probe and the
/// PyTorch/NumPy peers live in <see cref="HeavyTail.Experiments.Runs.Benchmarks"/>.
/// </summary>
public static class BenchCommand
{
    /// <summary>The command and its options.</summary>
    public static Command Create(CliContext ctx)
    {
        var sizes = new Option<string>("--sizes") { Description = "HT-Random sizes m", DefaultValueFactory = _ => "7,9" };
        var dtypes = new Option<string>("--dtype") { Description = "float32, float64 or both", DefaultValueFactory = _ => "float32,float64" };
        var backends = new Option<string>("--backends") { Description = "comma-separated: cpu, native (OpenBLAS), or registered ones (gpu)", DefaultValueFactory = _ => "cpu,native" };
        var reps = new Option<int>("--reps") { Description = "timed repetitions (median reported)", DefaultValueFactory = _ => 5 };
        var peers = new Option<bool>("--no-peers") { Description = "skip PyTorch/NumPy" };
        var outJson = new Option<string?>("--out") { Description = "also write the rows as JSON lines here" };
        var paths = new Option<string?>("--paths") { Description = "also time one GD step and the setup (K = XXᵀ on the Gram path) on these training paths: primal, gram or both, on the steppers `train` uses" };
        var train = new Option<bool>("--train") { Description = "also time the training loop of `train` per --paths path: setup before the first step and the steady-state seconds per step" };
        var trainSteps = new Option<int>("--train-steps") { Description = "steps of each --train row (the first carries the setup)", DefaultValueFactory = _ => 4 };
        var gridRuns = new Option<int>("--grid") { Description = "also time a step-size grid of R GD runs (100 steps, same data): one batched run vs R runs one after another here and in PyTorch/NumPy (bench/peers.py grid); 0 = off", DefaultValueFactory = _ => 0 };
        var spectra = new Option<bool>("--spectra") { Description = "also time Hessian spectra (float64, first backend): top-1 and top-5 eigenvalues (block Lanczos) and the SLQ density, in HVPs and seconds, against PyHessian's cost model (one HVP ≈ 2 gradients)" };
        var cmd = new Command("bench", "Time a full-batch step, the Hessian diagonal and block traces per backend, against PyTorch and NumPy.");
        foreach (Option o in new Option[] { sizes, dtypes, backends, reps, peers, outJson, paths, train, trainSteps, gridRuns, spectra }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            if (r.GetValue(outJson) is string outPath) OutputFolder.PrepareFile(outPath);
            var request = new BenchRequest
            {
                Sizes = r.GetValue(sizes)!.Split(',').Select(s => Numbers.TryParseInt(s, out var v) ? v : throw new UserError($"--sizes: '{s}' is not a size m.")).ToArray(),
                Precisions = r.GetValue(dtypes)!.Split(',').Select(s => PrecisionNames.Parse(s)).ToArray(),
                Backends = r.GetValue(backends)!.Split(','),
                Reps = Math.Max(5, r.GetValue(reps)),
                Peers = !r.GetValue(peers),
                Paths = r.GetValue(paths) is string ps ? ps.Split(',').Select(TrainingPaths.Parse).ToArray() : [],
                Train = r.GetValue(train),
                TrainSteps = r.GetValue(trainSteps),
                GridRuns = r.GetValue(gridRuns),
                Spectra = r.GetValue(spectra),
                Threads = ctx.Threads,
                RepositoryRoot = RepositoryRoot(),
            };
            request.Validate();
            var result = Benchmark.Run(request, new MachinePeaks(ctx.Threads), ctx.Quiet ? null : ctx.Err.WriteLine, ctx.Cancel);
            Print(ctx, result);
            // an interrupt writes no --out (Run throws first)
            if (r.GetValue(outJson) is string path)
                Analytic.IO.AtomicFile.WriteAllText(path, string.Join("\n", result.All.Select(JsonOut.Serialize).Select(s => s.ReplaceLineEndings(" "))) + "\n");
            return 0;
        });
        return cmd;
    }

    private static void Print(CliContext ctx, BenchResult result)
    {
        BenchTables.Print(ctx, result.Steps, result.MachinePeaks);
        ctx.Out.WriteLine($"--backend auto → {result.AutoChoice}");
        if (result.OpenBlas != null) ctx.Out.WriteLine($"OpenBLAS: {result.OpenBlas}");
        if (result.Paths.Count > 0) BenchTables.PrintPaths(ctx, result.Paths);
        if (result.Train.Count > 0) BenchTables.PrintTrain(ctx, result.Train);
        if (result.Grid.Count > 0) BenchTables.PrintGrid(ctx, result.Grid);
        if (result.Spectra.Count > 0) BenchTables.PrintSpectra(ctx, result.Spectra);
    }

    /// <summary>The repository holding bench/peers.py: above the build output, else the working directory.</summary>
    private static string RepositoryRoot() =>
        new[] { Path.Combine(AppContext.BaseDirectory, "../../../../.."), "." }.Select(Path.GetFullPath)
            .FirstOrDefault(root => File.Exists(Path.Combine(root, "bench", "peers.py"))) ?? Path.GetFullPath(".");
}
