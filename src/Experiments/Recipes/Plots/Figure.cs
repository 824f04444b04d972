using HeavyTail.Ode.Optimizers;
using HeavyTail.Analytic.IO;
using ScottPlot;

namespace HeavyTail.Experiments.Recipes.Plots;

/// <summary>
/// ScottPlot 5 figures with the toolkit's conventions: log axes as log10 data with decade labels and minor ticks at
/// 2..9×10^k, one colour map for frequency groups (dark = frequent, light = rare, as in the paper), fixed colours per
/// optimizer, labelled axes, legends, PNG 1200×800 and SVG written atomically.
/// </summary>
public sealed class Figure
{
    /// <summary>The ScottPlot plot, for what the helpers do not cover.</summary>
    public Plot Plot { get; } = new();
    private readonly bool _logX, _logY;

    /// <summary>An empty figure with its title and axis labels; a log axis plots log10 of the data with decade labels.</summary>
    public Figure(string title, string xLabel, string yLabel, bool logX = false, bool logY = false)
    {
        _logX = logX; _logY = logY;
        Plot.Title(title);
        Plot.XLabel(xLabel);
        Plot.YLabel(yLabel);
    }

    /// <summary>Whether the x axis is logarithmic (log10 of the data, decade labels).</summary>
    public bool LogX => _logX;
    /// <summary>Whether the y axis is logarithmic.</summary>
    public bool LogY => _logY;

    /// <summary>An x value in plot coordinates: log10(v) on a log axis, v otherwise.</summary>
    public double X(double v) => _logX ? Math.Log10(v) : v;
    /// <summary>A y value in plot coordinates: log10(v) on a log axis, v otherwise.</summary>
    public double Y(double v) => _logY ? Math.Log10(v) : v;

    /// <summary>Adds a line; points that cannot be shown (non-finite, or ≤ 0 on a log axis) are dropped.</summary>
    public ScottPlot.Plottables.Scatter Line(IReadOnlyList<double> xs, IReadOnlyList<double> ys, Color color, string? label = null,
        bool dashed = false, bool markers = false, float width = 2)
    {
        var px = new List<double>(); var py = new List<double>();
        for (int i = 0; i < xs.Count; i++)
        {
            double x = X(xs[i]), y = Y(ys[i]);
            if (double.IsFinite(x) && double.IsFinite(y)) { px.Add(x); py.Add(y); }
        }
        var s = Plot.Add.Scatter(px.ToArray(), py.ToArray());
        markers |= px.Count == 1; // a line through one point draws nothing: its point is a marker
        s.Color = color;
        s.LineWidth = markers ? 0 : width;
        s.MarkerSize = markers ? 7 : 0;
        if (dashed) s.LinePattern = LinePattern.Dashed;
        if (label != null) s.LegendText = label;
        return s;
    }

    /// <summary>
    /// Writes each label next to its point (a sweep's parameter beside the marker it made), just above and to the right of it;
    /// points that cannot be shown are skipped as in <see cref="Line"/>.
    /// </summary>
    public void LabelPoints(IReadOnlyList<double> xs, IReadOnlyList<double> ys, IReadOnlyList<string> labels)
    {
        var shown = Enumerable.Range(0, xs.Count).Where(i => double.IsFinite(X(xs[i])) && double.IsFinite(Y(ys[i]))).ToList();
        if (shown.Count == 0) return;
        double lo = shown.Min(i => X(xs[i])), hi = shown.Max(i => X(xs[i]));
        foreach (int i in shown)
        {
            // a point in the right fifth of the range gets its label on its left, so the label stays inside the plot
            bool left = hi > lo && X(xs[i]) > lo + 0.8 * (hi - lo);
            var t = Plot.Add.Text(labels[i], X(xs[i]), Y(ys[i]));
            t.LabelFontSize = 15;
            t.LabelAlignment = left ? Alignment.LowerRight : Alignment.LowerLeft;
            t.OffsetX = left ? -7 : 7;
            t.OffsetY = -7;
        }
    }

    /// <summary>Colour of group g of K: dark (frequent, g = 0) to light (rare).</summary>
    public static Color GroupColor(int g, int k) => new ScottPlot.Colormaps.Viridis().GetColor(k <= 1 ? 0.0 : 0.9 * g / (k - 1));

    /// <summary>An optimizer's colour from its <see cref="OptimizerDescriptor"/>; a flow takes the colour of the optimizer it is the limit of.</summary>
    public static Color OptimizerColor(string name) =>
        (OptimizerCatalog.Find(name) ?? OptimizerCatalog.ByFlow(name)) is { } o ? Color.FromHex(o.Color) : Colors.DarkCyan;

    /// <summary>Writes NAME.png (1200×800) and NAME.svg into <paramref name="dir"/>; returns the PNG path. Both are drawn
    /// into temporary files first and renamed together after a last look at <paramref name="cancel"/>: an interrupt
    /// leaves neither, never one without the other.</summary>
    public string Save(string dir, string name, CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        Prepare();
        Directory.CreateDirectory(dir);
        string png = Path.Combine(dir, name + ".png"), svg = Path.Combine(dir, name + ".svg");
        // drawn into temporaries named here, so an interrupt that abandons the drawing can delete them
        string tmpPng = Path.Combine(dir, $".{name}.png.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"), tmpSvg = Path.ChangeExtension(tmpPng, ".svg.tmp");
        void Write()
        {
            try
            {
                Plot.SavePng(tmpPng, Width, Height);
                cancel.ThrowIfCancellationRequested();
                // Skia's SVG canvas has no dash path effect (it prints a warning per line): dashed lines are solid in the SVG.
                foreach (var s in Plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>()) s.LinePattern = LinePattern.Solid;
                Plot.SaveSvg(tmpSvg, Width, Height);
                cancel.ThrowIfCancellationRequested();
                File.Move(tmpSvg, svg, overwrite: true);
                File.Move(tmpPng, png, overwrite: true);
            }
            finally { Delete(); }
        }
        void Delete() { foreach (var t in new[] { tmpPng, tmpSvg }) try { File.Delete(t); } catch (IOException) { } }
        if (!cancel.CanBeCanceled) { Write(); return png; }
        // Skia's drawing cannot be interrupted (millions of points take tens of seconds): it runs on a thread of its own and an
        // interrupt returns at once, deleting the temporaries; the abandoned drawing finds the token cancelled before the renames
        var drawing = Task.Factory.StartNew(Write, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try { drawing.Wait(cancel); }
        catch (OperationCanceledException) { Delete(); throw; }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1) { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException!).Throw(); }
        return png;
    }

    /// <summary>Fixed y range (in data units, before any log transform), e.g. to keep a loss spike from flattening the curves.</summary>
    public (double Min, double Max)? YLimits { get; set; }

    /// <summary>Axes, ticks and legend as saved at <paramref name="width"/>×<paramref name="height"/> pixels.</summary>
    internal void Prepare(int width = Width, int height = Height)
    {
        FinishAxes();
        PlaceLegend(width, height);
    }

    /// <summary>Pixel size of a saved figure.</summary>
    public const int Width = 1200, Height = 800;

    /// <summary>Legends with more entries than this are drawn outside the plot area, on the right.</summary>
    public const int LegendInsideMax = 10;

    /// <summary>The corner tried first for the legend (upper right unless a figure prefers another); a corner with data under it is never used.</summary>
    public Alignment LegendAlignment { get; set; } = Alignment.UpperRight;

    /// <summary>Sets <see cref="LegendAlignment"/> and returns this figure.</summary>
    public Figure WithLegendAt(Alignment a) { LegendAlignment = a; return this; }

    /// <summary>Where the legend went when the figure was last prepared: an alignment inside the data area, or null (beside it, on the right).</summary>
    public Alignment? LegendInside { get; private set; }

    /// <summary>
    /// Puts the legend where it covers no data: the first of <see cref="LegendAlignment"/>, the four corners, the middles
    /// of the edges whose box (the legend's size at its margin inside the data area, rendered at this size) holds no data
    /// point and crosses no line segment or bar; beside the plot area on the right when every one does, or when the
    /// legend has more than <see cref="LegendInsideMax"/> entries.
    /// </summary>
    internal void PlaceLegend(int width, int height)
    {
        LegendInside = null;
        int entries = Plot.GetPlottables().Count(p => p is IHasLegendText l && !string.IsNullOrEmpty(l.LegendText));
        if (entries == 0) return;
        if (entries <= LegendInsideMax)
        {
            Plot.ShowLegend(LegendAlignment);
            Plot.RenderInMemory(width, height);
            var box = LegendGeometry.Size(Plot);
            var marks = LegendGeometry.Marks(Plot);
            foreach (var a in Candidates.Prepend(LegendAlignment))
                if (!LegendGeometry.Covers(LegendGeometry.Box(Plot, box, a), marks))
                {
                    Plot.Legend.Alignment = a;
                    LegendInside = a;
                    return;
                }
            Plot.HideLegend();
        }
        Plot.ShowLegend(Edge.Right);
    }

    private static readonly Alignment[] Candidates =
    [
        Alignment.UpperRight, Alignment.UpperLeft, Alignment.LowerLeft, Alignment.LowerRight,
        Alignment.UpperCenter, Alignment.LowerCenter, Alignment.MiddleRight, Alignment.MiddleLeft,
    ];

    internal void FinishAxes()
    {
        Plot.Axes.AutoScale();
        if (YLimits is (double lo, double hi)) Plot.Axes.SetLimitsY(Y(lo), Y(hi));
        if (_logX) Plot.Axes.Bottom.TickGenerator = LogTicks(Plot.Axes.GetLimits().Left, Plot.Axes.GetLimits().Right);
        if (_logY) Plot.Axes.Left.TickGenerator = LogTicks(Plot.Axes.GetLimits().Bottom, Plot.Axes.GetLimits().Top);
    }

    /// <summary>A log axis showing fewer decades than this labels its 2..9×10^k ticks too.</summary>
    private const double NarrowLogRange = 1.3;

    /// <summary>Decade labels 10^k (every one up to ten decades in view) and minor ticks at log10(m·10^k), m = 2..9, over [lo, hi] in log10 units.</summary>
    private static ScottPlot.TickGenerators.NumericManual LogTicks(double lo, double hi)
    {
        var t = new ScottPlot.TickGenerators.NumericManual();
        int a = (int)Math.Floor(lo), b = (int)Math.Ceiling(hi);
        if (hi - lo < NarrowLogRange)
        {
            // less than about a decade in view: label every m·10^k (m = 1..9) inside it, or the axis would show one label or none
            for (int k = a; k <= b; k++)
                for (int m = 1; m <= 9; m++)
                {
                    double at = k + Math.Log10(m);
                    if (at >= lo && at <= hi) t.AddMajor(at, (m * Math.Pow(10, k)).ToString("G3", System.Globalization.CultureInfo.InvariantCulture));
                    else t.AddMinor(at);
                }
            return t;
        }
        int stride = Math.Max(1, (b - a) / 10);
        // fewer than three decades in view: 2·10^k and 5·10^k are labelled too, so the axis reads with more than one or two labels
        bool few = Enumerable.Range(a, b - a + 1).Count(k => k >= lo && k <= hi) < 3;
        for (int k = a; k <= b; k++)
        {
            if ((k - a) % stride == 0) t.AddMajor(k, Label(k));
            if (stride > 1) continue;
            for (int m = 2; m <= 9; m++)
            {
                double at = k + Math.Log10(m);
                if (few && m is 2 or 5 && at >= lo && at <= hi) t.AddMajor(at, (m * Math.Pow(10, k)).ToString("G3", System.Globalization.CultureInfo.InvariantCulture));
                else t.AddMinor(at);
            }
        }
        return t;
    }

    private static string Label(int k) => k switch { >= 0 and <= 4 => Math.Pow(10, k).ToString("0"), -1 => "0.1", -2 => "0.01", _ => $"1e{k}" };
}

/// <summary>
/// Figures side by side in one picture (the paper's multi-panel layout, e.g. Figure 2: class histogram | GD | Adam), each
/// panel a <see cref="Figure"/>; panels listed in <paramref name="sharedY"/> get the union of their y-ranges. PNG 1200×800
/// and SVG, written atomically.
/// </summary>
public sealed class PanelFigure(IReadOnlyList<Figure> panels, IReadOnlyList<int>? sharedY = null)
{
    /// <summary>The panels, left to right.</summary>
    public IReadOnlyList<Figure> Panels => panels;

    /// <summary>Saves the panels side by side as DIR/NAME.png and DIR/NAME.svg, atomically; returns the PNG's path.</summary>
    public string Save(string dir, string name)
    {
        foreach (var p in panels)
        {
            p.FinishAxes();
            p.Plot.Axes.Title.Label.FontSize = 13;   // a third of the width each: titles and labels one size down
            p.Plot.Axes.Left.Label.FontSize = 13;
            p.Plot.Axes.Bottom.Label.FontSize = 13;
        }
        if (sharedY is { Count: > 1 })
        {
            double lo = sharedY.Min(i => panels[i].Plot.Axes.GetLimits().Bottom), hi = sharedY.Max(i => panels[i].Plot.Axes.GetLimits().Top);
            foreach (int i in sharedY) panels[i].Plot.Axes.SetLimitsY(lo, hi);
        }
        // the legends are placed once the panels' limits are final, at a panel's size (the columns share the width)
        foreach (var p in panels) p.PlaceLegend(Figure.Width / panels.Count, Figure.Height);
        var multi = new Multiplot();
        multi.Reset(panels[0].Plot);   // a new Multiplot holds one empty plot: the first panel replaces it
        foreach (var p in panels.Skip(1)) multi.AddPlot(p.Plot);
        multi.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Directory.CreateDirectory(dir);
        string png = Path.Combine(dir, name + ".png"), svg = Path.Combine(dir, name + ".svg");
        AtomicFile.Write(png, tmp => multi.SavePng(tmp, Figure.Width, Figure.Height));
        foreach (var s in panels.SelectMany(p => p.Plot.GetPlottables()).OfType<ScottPlot.Plottables.Scatter>()) s.LinePattern = LinePattern.Solid;
        AtomicFile.Write(svg, tmp =>
        {
            using var stream = File.Create(tmp);
            using (var canvas = SkiaSharp.SKSvgCanvas.Create(new SkiaSharp.SKRect(0, 0, 1200, 800), stream))
                multi.Render(canvas, new PixelRect(0, 1200, 800, 0));
        });
        return png;
    }
}
