using ScottPlot;

namespace HeavyTail.Experiments.Recipes.Plots;

/// <summary>What a plot draws, in pixels of its last render: line segments (a marker is a segment of length 0 with a radius) and bars.</summary>
internal sealed record PlotMarks(List<(Pixel A, Pixel B, float Radius)> Segments, List<PixelRect> Bars);

/// <summary>The legend's box inside the data area and whether it covers anything drawn, from a plot's last render.</summary>
internal static class LegendGeometry
{
    /// <summary>Pixels of clearance kept between the legend's frame and the data (its shadow is 3 px).</summary>
    public const float Clearance = 4;

    /// <summary>The legend's size as ScottPlot lays it out (its items at their fonts).</summary>
    public static PixelSize Size(Plot plot)
    {
        plot.Legend.GetImage().Dispose();
        return plot.Legend.LastRenderSize;
    }

    /// <summary>The legend's box at alignment <paramref name="a"/>: its size aligned inside the data area less the legend's margin.</summary>
    public static PixelRect Box(Plot plot, PixelSize size, Alignment a)
    {
        var d = plot.RenderManager.LastRender.DataRect;
        var m = plot.Legend.Margin;
        var inner = new PixelRect(d.Left + m.Left, d.Right - m.Right, d.Bottom - m.Bottom, d.Top + m.Top);
        return new PixelRect(0, size.Width, size.Height, 0).AlignedInside(inner, a);
    }

    /// <summary>Every scatter's points (with their marker radius) and line segments, and every bar, in pixels.</summary>
    public static PlotMarks Marks(Plot plot)
    {
        var segments = new List<(Pixel, Pixel, float)>();
        var bars = new List<PixelRect>();
        foreach (var p in plot.GetPlottables().Where(p => p.IsVisible))
        {
            if (p is ScottPlot.Plottables.Scatter s)
            {
                var px = s.Data.GetScatterPoints().Select(c => plot.GetPixel(c)).Where(q => float.IsFinite(q.X) && float.IsFinite(q.Y)).ToList();
                float r = s.MarkerSize / 2 + s.LineWidth / 2;
                for (int i = 0; i < px.Count; i++)
                {
                    if (s.MarkerSize > 0) segments.Add((px[i], px[i], r));
                    if (s.LineWidth > 0 && i > 0) segments.Add((px[i - 1], px[i], s.LineWidth / 2));
                }
            }
            else if (p is ScottPlot.Plottables.Text t)
            {
                // a label's extent, estimated from its font size (a glyph ≈ 0.6 em wide) and its alignment to the anchor
                var at = plot.GetPixel(t.Location);
                float w = 0.6f * t.LabelFontSize * t.LabelText.Length, h = 1.3f * t.LabelFontSize;
                float x0 = at.X + t.OffsetX - (t.LabelAlignment is Alignment.LowerRight or Alignment.UpperRight or Alignment.MiddleRight ? w : 0);
                float y1 = at.Y + t.OffsetY;
                bars.Add(new PixelRect(x0, x0 + w, y1, y1 - h));
            }
            else if (p is ScottPlot.Plottables.BarPlot b)
                foreach (var bar in b.Bars)
                {
                    Pixel lo = plot.GetPixel(new Coordinates(bar.Position - bar.Size / 2, bar.ValueBase)), hi = plot.GetPixel(new Coordinates(bar.Position + bar.Size / 2, bar.Value));
                    bars.Add(new PixelRect(Math.Min(lo.X, hi.X), Math.Max(lo.X, hi.X), Math.Max(lo.Y, hi.Y), Math.Min(lo.Y, hi.Y)));
                }
        }
        return new PlotMarks(segments, bars);
    }

    /// <summary>Whether the box, widened by <see cref="Clearance"/>, holds a point or meets a segment or bar.</summary>
    public static bool Covers(PixelRect box, PlotMarks marks)
    {
        foreach (var (a, b, r) in marks.Segments)
        {
            float grow = Clearance + r;
            float left = box.Left - grow, right = box.Right + grow, top = box.Top - grow, bottom = box.Bottom + grow;
            if (Math.Max(a.X, b.X) < left || Math.Min(a.X, b.X) > right || Math.Max(a.Y, b.Y) < top || Math.Min(a.Y, b.Y) > bottom) continue;
            if (SegmentMeets(a, b, left, right, top, bottom)) return true;
        }
        return marks.Bars.Any(r => r.Left < box.Right + Clearance && r.Right > box.Left - Clearance && r.Top < box.Bottom + Clearance && r.Bottom > box.Top - Clearance);
    }

    /// <summary>Liang–Barsky: whether the segment a–b meets the rectangle [left, right] × [top, bottom].</summary>
    private static bool SegmentMeets(Pixel a, Pixel b, float left, float right, float top, float bottom)
    {
        double t0 = 0, t1 = 1, dx = b.X - a.X, dy = b.Y - a.Y;
        foreach (var (pv, qv) in new[] { (-dx, a.X - left), (dx, right - a.X), (-dy, a.Y - top), (dy, bottom - a.Y) })
        {
            if (pv == 0) { if (qv < 0) return false; continue; }
            double t = qv / pv;
            if (pv < 0) t0 = Math.Max(t0, t); else t1 = Math.Min(t1, t);
            if (t0 > t1) return false;
        }
        return true;
    }
}
