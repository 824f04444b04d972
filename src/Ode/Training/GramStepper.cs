using HeavyTail.Analytic;
using System.Numerics.Tensors;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Ode.Training;

/// <summary>
/// R full-batch runs from W₀ = 0 trained on the Gram matrix K = XXᵀ (n × n) instead of X (n × d): for the optimizers whose
/// update is a combination of gradients G = XᵀR (R the n × c residuals, <see cref="LinearModel.LossAndResidualsBatched"/>),
/// W stays in the row space of X, W = XᵀA with A ∈ R^{n×c}, and the logits are Z = XW = KA. Each run's update is applied to
/// A and, through Q = K·D (D the step's direction in A-space, D = R for gd), to Z:
/// <list type="bullet">
/// <item>gd: A ← A − ηR, Z ← Z − ηQ (Q = KR);</item>
/// <item>gd-m: B ← μB + R, KB ← μKB + Q (B₁ = R), A ← A − ηB, Z ← Z − η·KB;</item>
/// <item>normalized: ‖G‖²_F = tr(RᵀKR) = Σ_i r_i·q_i, A ← A − (η/‖G‖)R, Z ← Z − (η/‖G‖)Q (no step when ‖G‖ = 0);</item>
/// <item>normalized-m: momentum as gd-m over R/‖G‖ (0 when ‖G‖ = 0);</item>
/// <item>pcngd: the per-class gradient g_k = X_kᵀR̂_k (R̂_i = R_i/m_{y_i}, m_k the class's sample mass) has
/// ‖g_k‖² = Σ_{i,j∈k} K_ij (r̂_i·r̂_j) (class k's diagonal block of K, O(n_k²c)); the direction XᵀR̃ with
/// R̃_i = R̂_i/(K_c‖g_{y_i}‖) over the K_c classes with g_k ≠ 0, so A ← A − ηR̃, Z ← Z − η·KR̃.</item>
/// </list>
/// Per step: one GEMM Q = K·[D_1 … D_R] (n × n × R·c, i.e. n²·R·c multiply-adds) against the primal path's two
/// (Z = XW and G = XᵀR, 2·n·d·R·c); K costs n²·d once; <see cref="Weights"/> forms W = XᵀA (n·d·R·c, once per new state).
/// In float64 Z is carried along (updated with the step, not recomputed from A); its rounding accumulates with the steps as
/// W's does on the primal path. In float32 (K and D rounded to float32) carrying Z adds an error of about u·η·|K||D| per step
/// that the primal path, forming Z = XW afresh, does not have; near the stability limit, where D stays large while A
/// oscillates, these add up and Z leaves K·A (HT-Random m = 9, GD η = 0.1, 30 steps: final loss 22.32 against float64 21.02
/// and the primal float32 path's 21.01). So a float32 step forms Z = K·A afresh after updating A, one GEMM of the same
/// n × n × R·c shape as Q = K·D, which it then needs only for the normalized runs' norms (gd, gd-m and pcngd batches still
/// take one GEMM per step; a batch with a normalized run takes two). Each run's numbers equal those of
/// <see cref="LinearModelStepper"/> from W₀ = 0 up to rounding.
/// Cross-entropy and squared loss (any model with <see cref="LinearModel.LossAndResidualsBatched"/>), any sample weights.
/// </summary>
public sealed class GramStepper : IStepper
{
    /// <summary>The optimizers whose update stays in span(Xᵀ) (a combination of gradients, each scaled by a number).</summary>
    public static readonly IReadOnlyList<OptimizerKind> SupportedKinds =
        [OptimizerKind.Gd, OptimizerKind.GdMomentum, OptimizerKind.Normalized, OptimizerKind.NormalizedMomentum, OptimizerKind.Pcngd];

    /// <summary>True when the optimizer's update stays in the row space of X (gd, gd-m, normalized, normalized-m, pcngd), so the Gram path can run it.</summary>
    public static bool Supports(OptimizerSettings s) => SupportedKinds.Contains(s.Descriptor.Kind);

    /// <summary>Names of the supported optimizers, for messages.</summary>
    public static string SupportedNames => string.Join(", ", OptimizerCatalog.All.Where(d => SupportedKinds.Contains(d.Kind)).Select(d => d.Name));

    /// <summary>Why an optimizer cannot run on the Gram path (one line).</summary>
    public static string RefusalFor(string optimizer) =>
        $"optimizer {optimizer} cannot run on the Gram-matrix path: its update is not a combination of gradients, so W leaves the row space of X " +
        $"(W = XᵀA holds only for {SupportedNames}); use the primal path.";

    /// <summary>Multiply-adds of R primal runs of T steps: Z = XW and G = XᵀR at each of the T + 1 evaluations.</summary>
    public static double PrimalMultiplyAdds(long n, long d, long c, int runs, int steps) => 2.0 * n * d * c * runs * (steps + 1.0);

    /// <summary>
    /// Multiply-adds of R Gram runs of T steps: K = XXᵀ once, <paramref name="gemmsPerStep"/> n × n × R·c GEMMs per step
    /// (Q = K·D; in float32 Z = K·A, plus Q when a run is normalized: <see cref="GemmsPerStep"/>), W = XᵀA at the end.
    /// </summary>
    public static double GramMultiplyAdds(long n, long d, long c, int runs, int steps, int gemmsPerStep = 1) =>
        (double)n * n * d + (double)gemmsPerStep * n * n * c * runs * steps + (double)n * d * c * runs;

    /// <summary>GEMMs of K per step: 1, or 2 for a float32 batch with a normalized run (Q for its ‖G‖ and Z = K·A).</summary>
    public static int GemmsPerStep(IEnumerable<OptimizerSettings> optimizers, bool float32) =>
        float32 && optimizers.Any(o => o.Descriptor.Kind is OptimizerKind.Normalized or OptimizerKind.NormalizedMomentum) ? 2 : 1;

    /// <summary>
    /// Bytes this stepper holds beyond the data, at most: K and its packed copy (2·n²; K itself is dropped after packing
    /// unless pcngd reads its class blocks; in float32 the copy is half as large), A, Z, residuals, Q (4·n·R·c), two momentum
    /// buffers per momentum run, W = XᵀA (d·R·c).
    /// </summary>
    public static double Bytes(long n, long d, long c, int runs, int momentumRuns) =>
        8.0 * (2.0 * n * n + 4.0 * n * c * runs + 2.0 * n * c * momentumRuns + (double)d * c * runs);

    private readonly LinearModel _model;
    private readonly FrequencyGroups _groups;
    private readonly OptimizerKind[] _kind;
    private readonly double[] _lr, _momentum;
    private readonly int _n, _d, _c, _runs, _wc;
    private readonly double[] _a, _z, _res, _q;
    // K = XXᵀ: its class blocks for pcngd (null otherwise); the left operand of Q = K·D, packed once on a packing backend,
    // in float32 under a float32 backend (rounded once; each step rounds only D, as the backend's own GEMM would)
    private readonly double[]? _k;
    private readonly SharedLeftOperand<double>? _kOperand;
    private readonly SharedLeftOperand<float>? _kOperandSingle;
    private readonly float[]? _dSingle, _qSingle;
    // X in float32 when the data set holds it (a float32 run's W = XᵀA reads it instead of rounding X again)
    private readonly float[]? _xSingle;
    private readonly double[]?[] _b, _kb;
    private readonly int[] _stepCount;
    private readonly double[][] _sampleLosses;
    private double[] _loss = [];

    // pcngd: 1/m_{y_i} per sample (0 for a class of no mass) and the rows of each class with mass
    private readonly double[]? _inverseClassMass;
    private readonly int[][]? _classRows;

    private double[]? _wWide;
    private long _version, _wVersion = -1;

    /// <param name="optimizers">one per run; each must be one of <see cref="SupportedKinds"/>.</param>
    public GramStepper(LinearModel model, IReadOnlyList<OptimizerSettings> optimizers, FrequencyGroups groups)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        ArgumentNullException.ThrowIfNull(optimizers);
        _groups = groups ?? throw new ArgumentNullException(nameof(groups));
        Guard.Positive(optimizers.Count, "runs");
        foreach (var o in optimizers)
            if (!Supports(o)) throw new ArgumentException(RefusalFor(o.Name), nameof(optimizers));
        _n = model.N; _d = model.D; _c = model.C; _runs = optimizers.Count;
        if ((long)_n * _n > Array.MaxLength)
            throw new ArgumentException($"the Gram matrix K = XXᵀ would have n² = {(long)_n * _n} entries (n = {_n}), more than one array holds; use the primal path.", nameof(model));
        if ((long)_n * _c * _runs > Array.MaxLength || (long)_d * _c * _runs > Array.MaxLength)
            throw new ArgumentException($"{_runs} runs side by side need n·R·c = {(long)_n * _c * _runs} values in one array, more than it holds; train fewer runs together.", nameof(optimizers));
        _wc = _c * _runs;
        _kind = optimizers.Select(o => o.Descriptor.Kind).ToArray();
        _lr = optimizers.Select(o => o.Lr).ToArray();
        _momentum = optimizers.Select(o => o.Momentum).ToArray();
        for (int r = 0; r < _runs; r++)
        {
            if (!double.IsFinite(_lr[r]) || _lr[r] < 0) throw new ArgumentException($"learning rate {_lr[r]} must be finite and ≥ 0.", nameof(optimizers));
            if (IsMomentum(_kind[r]) && !(_momentum[r] >= 0 && _momentum[r] < 1))
                throw new ArgumentException($"momentum μ = {_momentum[r]} must be in [0, 1).", nameof(optimizers));
        }

        var la = model.LinearAlgebra;
        bool pcngd = _kind.Contains(OptimizerKind.Pcngd);
        if (la.SinglePrecision)
        {
            // K = XXᵀ in float32 from X in float32 (the data set's own float32 inputs when it holds them), half formed and mirrored
            _xSingle = model.Data.SingleInputs;
            var kSingle = FormGramSingle(la, model.Data, _n, _d);
            _k = pcngd ? Array.ConvertAll(kSingle, v => (double)v) : null;
            _kOperandSingle = new SharedLeftOperand<float>(la, false, _n, _n, kSingle, _n);
            _dSingle = new float[_n * _wc]; _qSingle = new float[_n * _wc];
        }
        else
        {
            var k = new double[(long)_n * _n];
            la.SymmetricRankK(_n, _d, model.Data.X, _d, k, _n);
            _kOperand = new SharedLeftOperand<double>(la, false, _n, _n, k, _n);
            _k = pcngd ? k : null;
        }
        _a = new double[_n * _wc]; _z = new double[_n * _wc]; _res = new double[_n * _wc]; _q = new double[_n * _wc];
        _b = new double[]?[_runs]; _kb = new double[]?[_runs];
        _stepCount = new int[_runs];
        _sampleLosses = Enumerable.Range(0, _runs).Select(_ => new double[_n]).ToArray();

        if (_kind.Contains(OptimizerKind.Pcngd))
        {
            var data = model.Data;
            _inverseClassMass = new double[_n];
            for (int i = 0; i < _n; i++) _inverseClassMass[i] = data.ClassMass[data.Labels[i]] > 0 ? 1.0 / data.ClassMass[data.Labels[i]] : 0.0;
            var lists = new List<int>?[_c];
            for (int i = 0; i < _n; i++) (lists[data.Labels[i]] ??= []).Add(i);
            _classRows = Enumerable.Range(0, _c).Where(k => lists[k] != null && data.ClassMass[k] > 0).Select(k => lists[k]!.ToArray()).ToArray();
        }
    }

    /// <summary>
    /// K = XXᵀ (n × n) in float32 on a float32 backend: X rounded to float32 (<see cref="LinearModel.RoundedInputs"/>) and the
    /// backend's symmetric rank-k update (<see cref="ILinearAlgebraProvider.SymmetricRankK(int, int, float[], int, float[], int)"/>).
    /// </summary>
    public static float[] FormGramSingle(ILinearAlgebraProvider la, Dataset data, int n, int d)
    {
        ArgumentNullException.ThrowIfNull(la);
        var k = GC.AllocateUninitializedArray<float>(checked(n * n));
        la.SymmetricRankK(n, d, LinearModel.RoundedInputs(data), d, k, n);
        return k;
    }

    private static bool IsMomentum(OptimizerKind k) => k is OptimizerKind.GdMomentum or OptimizerKind.NormalizedMomentum;

    /// <inheritdoc/>
    public int Runs => _runs;
    /// <inheritdoc/>
    public int Groups => _groups.K;

    /// <inheritdoc/>
    public ReadOnlySpan<double> Evaluate(bool logged, bool willUpdate)
    {
        Array.Copy(_z, _res, _z.Length);
        _loss = _model.LossAndResidualsBatched(_res, _runs, _sampleLosses);
        return _loss;
    }

    /// <inheritdoc/>
    public double[] GroupLosses(int run) => _model.PerGroupLossFromSamples(_sampleLosses[run], _groups);

    /// <summary>A float32 step forms Z = K·A afresh (see the class remarks) instead of carrying it.</summary>
    public bool FreshLogits => _kOperandSingle != null;

    /// <summary>The runs need Q = K·D this step: always when Z is carried, else only for the normalized runs' ‖G‖.</summary>
    private bool NeedsQ => !FreshLogits || _kind.Any(k => k is OptimizerKind.Normalized or OptimizerKind.NormalizedMomentum);

    /// <inheritdoc/>
    public void Update(ReadOnlySpan<bool> active)
    {
        _version++;
        int n = _n, c = _c, wc = _wc;
        // the directions D_r in A-space, side by side in _res: R (pcngd: R̃); a run that stopped contributes zeros
        for (int r = 0; r < _runs; r++)
        {
            if (!active[r]) { for (int i = 0; i < n; i++) Array.Clear(_res, i * wc + r * c, c); continue; }
            if (_kind[r] == OptimizerKind.Pcngd) PerClassNormalize(r);
        }
        if (NeedsQ) MultiplyK(_res, _q);
        for (int r = 0; r < _runs; r++)
        {
            if (!active[r]) continue;
            _stepCount[r]++;
            double lr = _lr[r];
            switch (_kind[r])
            {
                case OptimizerKind.Gd or OptimizerKind.Pcngd:
                    Step(r, lr);
                    break;
                case OptimizerKind.Normalized:
                    {
                        double norm = GradientNorm(r);
                        if (norm > 0) Step(r, lr / norm);
                        break;
                    }
                case OptimizerKind.GdMomentum:
                    MomentumStep(r, lr, 1.0);
                    break;
                case OptimizerKind.NormalizedMomentum:
                    {
                        double norm = GradientNorm(r);
                        MomentumStep(r, lr, norm > 0 ? 1.0 / norm : 0.0);
                        break;
                    }
                default: throw new InvalidOperationException($"optimizer kind {_kind[r]} has no Gram update.");
            }
        }
        if (FreshLogits) MultiplyK(_a, _z);
    }

    /// <summary>output = K·input (n × R·c), in float32 under a float32 backend (input rounded once, as the backend's GEMM would).</summary>
    private void MultiplyK(double[] input, double[] output)
    {
        if (_kOperandSingle != null)
        {
            TensorPrimitives.ConvertTruncating<double, float>(input, _dSingle);
            _kOperandSingle.Gemm(_wc, 1f, _dSingle!, _wc, 0f, _qSingle!, _wc);
            TensorPrimitives.ConvertTruncating<float, double>(_qSingle, output);
        }
        else _kOperand!.Gemm(_wc, 1.0, input, _wc, 0.0, output, _wc);
    }

    /// <summary>A ← A − s·D_r, Z ← Z − s·Q_r (Z only when carried).</summary>
    private void Step(int r, double s)
    {
        int c = _c, wc = _wc;
        if (FreshLogits)
        {
            _model.LinearAlgebra.RowPass(_n, c, i =>
            {
                var a = _a.AsSpan(i * wc + r * c, c); var d = _res.AsSpan(i * wc + r * c, c);
                for (int k = 0; k < c; k++) a[k] -= s * d[k];
            });
            return;
        }
        _model.LinearAlgebra.RowPass(_n, c, i =>
        {
            int at = i * wc + r * c;
            var a = _a.AsSpan(at, c); var z = _z.AsSpan(at, c); var d = _res.AsSpan(at, c); var q = _q.AsSpan(at, c);
            for (int k = 0; k < c; k++) { a[k] -= s * d[k]; z[k] -= s * q[k]; }
        });
    }

    /// <summary>B ← μB + f·D_r (B₁ = f·D_r), KB ← μKB + f·Q_r alike; A ← A − ηB, Z ← Z − η·KB (KB and Z only when Z is carried).</summary>
    private void MomentumStep(int r, double lr, double f)
    {
        int c = _c, wc = _wc;
        bool first = _b[r] == null;
        var b = _b[r] ??= new double[_n * c];
        double mu = first ? 0.0 : _momentum[r];
        if (FreshLogits)
        {
            _model.LinearAlgebra.RowPass(_n, c, i =>
            {
                var a = _a.AsSpan(i * wc + r * c, c); var d = _res.AsSpan(i * wc + r * c, c); var bi = b.AsSpan(i * c, c);
                for (int k = 0; k < c; k++) { bi[k] = mu * bi[k] + f * d[k]; a[k] -= lr * bi[k]; }
            });
            return;
        }
        var kb = _kb[r] ??= new double[_n * c];
        _model.LinearAlgebra.RowPass(_n, c, i =>
        {
            int at = i * wc + r * c;
            var a = _a.AsSpan(at, c); var z = _z.AsSpan(at, c); var d = _res.AsSpan(at, c); var q = _q.AsSpan(at, c);
            var bi = b.AsSpan(i * c, c); var kbi = kb.AsSpan(i * c, c);
            for (int k = 0; k < c; k++)
            {
                bi[k] = mu * bi[k] + f * d[k];
                kbi[k] = mu * kbi[k] + f * q[k];
                a[k] -= lr * bi[k];
                z[k] -= lr * kbi[k];
            }
        });
    }

    /// <summary>‖G_r‖_F = √tr(R_rᵀ K R_r) = √(Σ_i r_i·q_i) (clamped at 0 against rounding).</summary>
    private double GradientNorm(int r)
    {
        int c = _c, wc = _wc;
        var total = new CompensatedSum();
        for (int i = 0; i < _n; i++) total.Add(Dot(_res.AsSpan(i * wc + r * c, c), _q.AsSpan(i * wc + r * c, c)));
        return Math.Sqrt(Math.Max(total.Value, 0.0));
    }

    /// <summary>Run r's residuals R become pcngd's R̃ (see the class remarks).</summary>
    private void PerClassNormalize(int r)
    {
        int n = _n, c = _c, wc = _wc;
        var inv = _inverseClassMass!; var rows = _classRows!;
        for (int i = 0; i < n; i++)
        {
            var ri = _res.AsSpan(i * wc + r * c, c);
            for (int k = 0; k < c; k++) ri[k] *= inv[i];
        }
        var norm = new double[rows.Length];
        _model.LinearAlgebra.RowPass(rows.Length, c, k =>
        {
            var idx = rows[k];
            double sq = 0;
            for (int a = 0; a < idx.Length; a++)
            {
                var ra = _res.AsSpan(idx[a] * wc + r * c, c);
                long rowA = (long)idx[a] * n;
                sq += _k![rowA + idx[a]] * Dot(ra, ra);
                for (int b = a + 1; b < idx.Length; b++) sq += 2 * _k![rowA + idx[b]] * Dot(ra, _res.AsSpan(idx[b] * wc + r * c, c));
            }
            norm[k] = Math.Sqrt(Math.Max(sq, 0.0));
        });
        int classes = norm.Count(v => v > 0);
        for (int k = 0; k < rows.Length; k++)
        {
            double f = norm[k] > 0 ? 1.0 / (classes * norm[k]) : 0.0;
            foreach (int i in rows[k])
            {
                var ri = _res.AsSpan(i * wc + r * c, c);
                for (int q = 0; q < c; q++) ri[q] *= f;
            }
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);

    /// <summary>W_r = XᵀA_r (d × c); all runs' W = Xᵀ[A_1 … A_R] are formed in one GEMM per new state.</summary>
    public double[] Weights(int run)
    {
        if ((uint)run >= (uint)_runs) throw new ArgumentOutOfRangeException(nameof(run), $"run {run} outside 0..{_runs - 1}.");
        int d = _d, c = _c, wc = _wc;
        var wWide = _wWide ??= new double[d * wc];
        if (_wVersion != _version)
        {
            if (_xSingle != null)
            {
                // the float32 GEMM on the held float32 X (the float64 entry point would round X again), A rounded once
                var aSingle = GC.AllocateUninitializedArray<float>(_a.Length);
                var wSingle = GC.AllocateUninitializedArray<float>(wWide.Length);
                TensorPrimitives.ConvertTruncating<double, float>(_a, aSingle);
                _model.LinearAlgebra.Gemm(true, false, d, wc, _n, 1f, _xSingle, d, aSingle, wc, 0f, wSingle, wc);
                TensorPrimitives.ConvertTruncating<float, double>(wSingle, wWide);
            }
            else _model.LinearAlgebra.Gemm(true, false, d, wc, _n, 1.0, _model.Data.X, d, _a, wc, 0.0, wWide, wc);
            _wVersion = _version;
        }
        var w = new double[d * c];
        for (int j = 0; j < d; j++) Array.Copy(wWide, j * wc + run * c, w, j * c, c);
        return w;
    }
}
