using TorchSharp;
using static TorchSharp.torch;

namespace HeavyTail.Experiments.Torch;

/// <summary>
/// The bridge between TorchSharp parameters and the toolkit's optimizers: the trainable parameters of a module, in
/// registration order, flattened (row-major) into one float64 vector w, and their gradients into g. The optimizers of
/// src/Ode (<see cref="Ode.Optimizers.Optimizer.Step"/>) update that vector — one definition per optimizer — and the
/// result is written back (rounded to the parameters' dtype). For "normalized" the norm is that of the whole vector.
/// </summary>
public sealed class ParameterVector
{
    private readonly TorchSharp.Modules.Parameter[] _parameters;
    private readonly long[] _offsets;

    public ParameterVector(nn.Module module)
    {
        var named = module.named_parameters().Where(p => p.parameter.requires_grad).ToArray();
        _parameters = named.Select(p => p.parameter).ToArray();
        Names = named.Select(p => p.name).ToArray();
        if (_parameters.Length == 0) throw new ArgumentException("the module has no trainable parameters.");
        foreach (var p in _parameters)
            if (p.dtype is not (ScalarType.Float32 or ScalarType.Float64))
                throw new ArgumentException($"parameter of dtype {p.dtype}: only float32 and float64 parameters are supported.");
        _offsets = new long[_parameters.Length + 1];
        for (int i = 0; i < _parameters.Length; i++) _offsets[i + 1] = _offsets[i] + _parameters[i].numel();
        if (_offsets[^1] > Array.MaxLength) throw new ArgumentException($"{_offsets[^1]} parameters do not fit one .NET array.");
    }

    public int Length => (int)_offsets[^1];

    /// <summary>Each parameter's module path (e.g. "attention.0.qkv.weight"), in the order of <see cref="Parameters"/>.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>‖v restricted to parameter i‖₂ of a flat vector (values or gradients).</summary>
    public double BlockNorm(ReadOnlySpan<double> v, int i) => System.Numerics.Tensors.TensorPrimitives.Norm(v[(int)_offsets[i]..(int)_offsets[i + 1]]);
    public IReadOnlyList<TorchSharp.Modules.Parameter> Parameters => _parameters;

    /// <summary>w ← the parameters' values.</summary>
    public void ReadValues(double[] w) { for (int i = 0; i < _parameters.Length; i++) Read(_parameters[i], w, i); }

    /// <summary>g ← the accumulated gradients (0 for a parameter without one).</summary>
    public void ReadGradients(double[] g)
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            using var grad = _parameters[i].grad; // disposed here: a wrapper left to the finalizer can be freed mid-call
            if (grad is null) Array.Clear(g, (int)_offsets[i], (int)(_offsets[i + 1] - _offsets[i]));
            else Read(grad, g, i);
        }
    }

    /// <summary>The parameters ← w (rounded to float32 for float32 parameters), copied by libtorch (copy_ under no_grad).</summary>
    /// <remarks>The values go through a temporary tensor and libtorch's Tensor.copy_ (which also converts the dtype).</remarks>
    public void WriteValues(double[] w)
    {
        using var _ = no_grad();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            int off = (int)_offsets[i], len = (int)(_offsets[i + 1] - _offsets[i]);
            Tensor flat;
            if (p.dtype == ScalarType.Float64) flat = tensor(w.AsSpan(off, len).ToArray());
            else
            {
                var tmp = new float[len];
                for (int j = 0; j < len; j++) tmp[j] = (float)w[off + j];
                flat = tensor(tmp);
            }
            using (flat)
            using (var shaped = flat.view(p.shape))
                p.copy_(shaped);
        }
    }

    /// <remarks>
    /// Every temporary wrapper is held in a <c>using</c>: TorchSharp's tensors are raw handles with finalizers, so a
    /// wrapper that is unreachable while its native call runs (optimised code, e.g. <c>p.grad?.zero_()</c>) can be
    /// finalized — and its tensor freed — in the middle of that call.
    /// </remarks>
    public void ZeroGradients()
    {
        foreach (var p in _parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    private void Read(Tensor t, double[] dst, int i)
    {
        int off = (int)_offsets[i], len = (int)(_offsets[i + 1] - _offsets[i]);
        using var c = t.contiguous();
        if (c.dtype == ScalarType.Float64)
        {
            var tmp = new double[len]; // CopyTo(T[]) is one Marshal.Copy; the Span overload goes element by element
            c.data<double>().CopyTo(tmp, 0, 0);
            Array.Copy(tmp, 0, dst, off, len);
        }
        else
        {
            var tmp = new float[len];
            c.data<float>().CopyTo(tmp, 0, 0);
            for (int j = 0; j < len; j++) dst[off + j] = tmp[j];
        }
    }
}
