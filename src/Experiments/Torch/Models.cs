using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HeavyTail.Experiments.Torch;

/// <summary>A network whose output is one row of class logits per sample (images) or per position (sequences).</summary>
public interface IClassifierNetwork
{
    /// <summary>Logits for a chunk of inputs, flattened to (samples·positions) × classes.</summary>
    Tensor Logits(Tensor inputs);
    nn.Module Module { get; }
}

/// <summary>
/// The image classifier of the barcode experiment: Conv(1→w1, 5×5, pad 2) → ReLU → MaxPool 2 → Conv(w1→w2, 5×5, pad 2)
/// → ReLU → MaxPool 2 → Linear(w2·(H/4)·(W/4) → classes). Input N×1×H×W, pixels scaled to [0, 1].
/// Widths (w1, w2) = (32, 64) at paper scale, (8, 16) at small scale.
/// </summary>
public sealed class BarcodeCnn : nn.Module<Tensor, Tensor>, IClassifierNetwork
{
    private readonly Conv2d conv1, conv2;
    private readonly Linear head;

    public BarcodeCnn(int height, int width, int classes, int width1 = 8, int width2 = 16) : base(nameof(BarcodeCnn))
    {
        if (height % 4 != 0 || width % 4 != 0) throw new ArgumentException($"image size {height}×{width} must be divisible by 4.");
        conv1 = nn.Conv2d(1, width1, 5, padding: 2);
        conv2 = nn.Conv2d(width1, width2, 5, padding: 2);
        head = nn.Linear(width2 * (height / 4) * (width / 4), classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = F.max_pool2d(F.relu(conv1.forward(x)), 2);
        h = F.max_pool2d(F.relu(conv2.forward(h)), 2);
        return head.forward(h.flatten(1)).MoveToOuterDisposeScope();
    }

    public Tensor Logits(Tensor inputs) => forward(inputs);
    public nn.Module Module => this;
}

/// <summary>
/// Causal multi-head self-attention: Q, K, V = xW_q, xW_k, xW_v split into heads, softmax(QKᵀ/√d_h + M)V with
/// M_ij = −∞ for j &gt; i, heads concatenated and projected by W_o.
/// </summary>
public sealed class CausalSelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv, proj;
    private readonly int heads;

    public CausalSelfAttention(int width, int heads, bool bias = true) : base(nameof(CausalSelfAttention))
    {
        if (width % heads != 0) throw new ArgumentException($"width {width} must be divisible by the number of heads {heads}.");
        this.heads = heads;
        qkv = nn.Linear(width, 3 * width, hasBias: bias);
        proj = nn.Linear(width, width, hasBias: bias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // B × T × width
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1], w = x.shape[2], dh = w / heads;
        var parts = qkv.forward(x).view(b, t, 3, heads, dh).permute(2, 0, 3, 1, 4); // 3 × B × h × T × dh
        Tensor q = parts[0], k = parts[1], v = parts[2];
        var scores = matmul(q, k.transpose(-2, -1)) / Math.Sqrt(dh);
        var mask = ones(t, t, dtype: ScalarType.Bool, device: x.device).triu(1);
        var att = F.softmax(scores.masked_fill(mask, double.NegativeInfinity), -1);
        var y = matmul(att, v).transpose(1, 2).reshape(b, t, w);
        return proj.forward(y).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The paper's 2-layer transformer language model (Figure 1): token + learned position embedding, then 2 blocks of
/// x ← LayerNorm(x + Dropout(Attention(x))), x ← LayerNorm(x + Dropout(Linear(ReLU(Linear(x))))) (post-norm, MLP width
/// 4·width), then a linear decoder to the vocabulary. Causal mask; width 1000 and 4 heads at paper scale.
/// With <c>preNorm</c> the blocks are x ← x + Dropout(Attention(LayerNorm(x))), x ← x + Dropout(MLP(LayerNorm(x))) and a
/// final LayerNorm precedes the decoder (GPT-2's placement), for Tomihari &amp; Sato's layer-normalisation comparison.
/// </summary>
public sealed class TransformerLanguageModel : nn.Module<Tensor, Tensor>, IClassifierNetwork
{
    private readonly Embedding tokens, positions;
    private readonly ModuleList<CausalSelfAttention> attention;
    private readonly ModuleList<Linear> up, down;
    private readonly ModuleList<LayerNorm> norm1, norm2;
    private readonly Dropout dropout;
    private readonly Linear decoder;
    private readonly LayerNorm? finalNorm;

    public TransformerLanguageModel(int vocabulary, int width, int heads, int maxLength, int layers = 2, double dropout = 0.0, bool preNorm = false) : base(nameof(TransformerLanguageModel))
    {
        tokens = nn.Embedding(vocabulary, width);
        positions = nn.Embedding(maxLength, width);
        attention = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => new CausalSelfAttention(width, heads)).ToArray());
        up = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => nn.Linear(width, 4 * width)).ToArray());
        down = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => nn.Linear(4 * width, width)).ToArray());
        norm1 = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => nn.LayerNorm(width)).ToArray());
        norm2 = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => nn.LayerNorm(width)).ToArray());
        this.dropout = nn.Dropout(dropout);
        decoder = nn.Linear(width, vocabulary);
        if (preNorm) finalNorm = nn.LayerNorm(width);
        RegisterComponents();
    }

    public bool PreNorm => finalNorm != null;

    public override Tensor forward(Tensor ids) // B × T token ids → B × T × vocabulary
    {
        using var scope = NewDisposeScope();
        long t = ids.shape[1];
        var x = tokens.forward(ids) + positions.forward(arange(t, device: ids.device)).unsqueeze(0);
        for (int l = 0; l < attention.Count; l++)
        {
            if (finalNorm != null)
            {
                x = x + dropout.forward(attention[l].forward(norm1[l].forward(x)));
                x = x + dropout.forward(down[l].forward(F.relu(up[l].forward(norm2[l].forward(x)))));
            }
            else
            {
                x = norm1[l].forward(x + dropout.forward(attention[l].forward(x)));
                x = norm2[l].forward(x + dropout.forward(down[l].forward(F.relu(up[l].forward(x)))));
            }
        }
        if (finalNorm != null) x = finalNorm.forward(x);
        return decoder.forward(x).MoveToOuterDisposeScope();
    }

    public Tensor Logits(Tensor inputs) { using var l = forward(inputs); return l.reshape(-1, l.shape[2]); }
    public nn.Module Module => this;
}

/// <summary>
/// The simplified one-layer transformer of Figure 4: Embedding → causal Attention → Linear classifier, no LayerNorm,
/// dropout or MLP. Embedding and attention stay at their initialisation (frozen); only the classifier is trained, so the
/// model is a linear softmax model on the fixed features φ(x) = Attention(Embedding(x)) (<see cref="Features"/>).
/// </summary>
public sealed class FrozenAttentionClassifier : nn.Module<Tensor, Tensor>, IClassifierNetwork
{
    private readonly Embedding tokens, positions;
    private readonly CausalSelfAttention attention;
    public readonly Linear Classifier;

    public FrozenAttentionClassifier(int vocabulary, int width, int heads, int maxLength) : base(nameof(FrozenAttentionClassifier))
    {
        tokens = nn.Embedding(vocabulary, width);
        positions = nn.Embedding(maxLength, width);
        attention = new CausalSelfAttention(width, heads);
        Classifier = nn.Linear(width, vocabulary);
        RegisterComponents();
        foreach (var p in tokens.parameters().Concat(positions.parameters()).Concat(attention.parameters())) p.requires_grad = false;
    }

    /// <summary>φ(x): B × T × width features of the frozen layers.</summary>
    public Tensor Features(Tensor ids)
    {
        using var scope = NewDisposeScope();
        long t = ids.shape[1];
        var x = tokens.forward(ids) + positions.forward(arange(t, device: ids.device)).unsqueeze(0);
        return attention.forward(x).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor ids) { using var f = Features(ids); return Classifier.forward(f); }

    public Tensor Logits(Tensor inputs) { using var l = forward(inputs); return l.reshape(-1, l.shape[2]); }
    public nn.Module Module => this;
}
