package server

import (
	"bytes"
	"encoding/xml"
	"fmt"

	"github.com/shopspring/decimal"
)

// Charts are drawn on the server as SVG: no script, nothing loaded from
// elsewhere, so the workspace's Content-Security-Policy (img-src 'self')
// lets a page show them with <img src="/committee/reports/chart/...">.
//
// Money stays decimal all the way. Bar heights are computed from the
// decimal amounts: a bar's height is its amount times the plot's height in
// pixels divided by the chart's span, in decimal arithmetic, and the result
// is a pixel length written with two decimals (1/100 of a pixel). Pixel
// geometry is the only thing ever rounded here, and the only place a float
// would be allowed; none is used, not even for geometry. No figure shown as
// text is derived from a pixel length: every amount in an axis label or a
// tooltip (and in the data-value attribute of each bar) is formatted from
// the decimal amount itself.

// chartSeries is one colour of a stacked bar chart: a channel, or the only
// series of a simple chart.
type chartSeries struct {
	Label string
	Color string
}

// chartBars is a stacked bar chart: one bar per category (a week, a grant
// category), each bar the stack of its series' values. Positive values stack
// up from zero, negative ones down.
type chartBars struct {
	Title      string
	Categories []string // the label under each bar
	Series     []chartSeries
	Values     [][]decimal.Decimal // [category][series]
	// Format writes an amount for the axis and the tooltips, exactly.
	Format func(decimal.Decimal) string
	// Empty is shown when there is nothing to draw.
	Empty string
}

// chartPalette colours series in order; chosen to be told apart in print
// and by readers with the common colour-vision deficiencies.
var chartPalette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#d62728"}

// Chart geometry, in pixels.
const (
	chartWidth      = 760
	chartHeight     = 340
	chartPlotLeft   = 110
	chartPlotRight  = 12
	chartPlotTop    = 34
	chartPlotHeight = 200
)

// chartPx writes a pixel coordinate.
func chartPx(d decimal.Decimal) string { return d.StringFixed(2) }

func chartPxInt(n int) string { return decimal.NewFromInt(int64(n)).StringFixed(2) }

// chartText escapes s as XML character data (and attribute values, which we
// always quote with ").
func chartText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// chartBar is where one segment of a bar is drawn.
type chartBar struct {
	Y, Height decimal.Decimal
}

// chartScaler maps amounts to pixels: top is the largest positive stack,
// bottom the most negative one (at most zero), and the plot's height spans
// them. Every length is amount × height ÷ span, divided last, so it is exact
// to a millionth of a pixel whatever the size of the amounts.
type chartScaler struct {
	top, bottom, span decimal.Decimal
}

func newChartScaler(values [][]decimal.Decimal) chartScaler {
	top, bottom := decimal.Zero, decimal.Zero
	for _, bar := range values {
		up, down := decimal.Zero, decimal.Zero
		for _, v := range bar {
			if v.IsPositive() {
				up = up.Add(v)
			} else {
				down = down.Add(v)
			}
		}
		top, bottom = decimal.Max(top, up), decimal.Min(bottom, down)
	}
	span := top.Sub(bottom)
	if span.IsZero() {
		span = decimal.NewFromInt(1)
	}
	return chartScaler{top: top, bottom: bottom, span: span}
}

// height is the pixel length of the amount v (v >= 0).
func (s chartScaler) height(v decimal.Decimal) decimal.Decimal {
	return v.Mul(decimal.NewFromInt(chartPlotHeight)).DivRound(s.span, 6)
}

// y is the vertical pixel coordinate of the amount v.
func (s chartScaler) y(v decimal.Decimal) decimal.Decimal {
	return decimal.NewFromInt(chartPlotTop).Add(s.height(s.top.Sub(v)))
}

// SVG draws the chart.
func (ch chartBars) SVG() []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	legend, height := ch.legend()
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title">`,
		chartWidth, height, chartWidth, height)
	p(`<title id="chart-title">%s</title>`, chartText(ch.Title))
	p(`<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`, chartWidth, height)
	p(`<text x="%d" y="20" font-family="sans-serif" font-size="15" font-weight="bold" fill="#222222">%s</text>`, chartPlotLeft, chartText(ch.Title))
	empty := len(ch.Categories) == 0
	if !empty {
		empty = true
		for _, bar := range ch.Values {
			for _, v := range bar {
				empty = empty && v.IsZero()
			}
		}
	}
	if empty {
		p(`<text x="%d" y="%d" font-family="sans-serif" font-size="14" fill="#555555">%s</text>`, chartPlotLeft, chartPlotTop+chartPlotHeight/2, chartText(ch.Empty))
		p(`</svg>`)
		return b.Bytes()
	}
	sc := newChartScaler(ch.Values)
	plotW := chartWidth - chartPlotLeft - chartPlotRight
	// The axis: zero, the largest stack and the most negative one, each
	// labelled with its exact amount.
	ticks := []decimal.Decimal{decimal.Zero}
	if sc.top.IsPositive() {
		ticks = append(ticks, sc.top)
	}
	if sc.bottom.IsNegative() {
		ticks = append(ticks, sc.bottom)
	}
	zeroY := sc.y(decimal.Zero)
	for _, v := range ticks {
		y, stroke := sc.y(v), "#dddddd"
		if v.IsZero() {
			stroke = "#333333"
		}
		p(`<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="%s" stroke-width="1"/>`, chartPlotLeft, chartPx(y), chartWidth-chartPlotRight, chartPx(y), stroke)
		if !v.IsZero() && y.Sub(zeroY).Abs().LessThan(decimal.NewFromInt(12)) {
			continue // too close to zero's label to be read; the bars' tooltips carry the amounts
		}
		p(`<text x="%d" y="%s" text-anchor="end" dominant-baseline="middle" font-family="sans-serif" font-size="11" fill="#333333">%s</text>`,
			chartPlotLeft-6, chartPx(y), chartText(ch.Format(v)))
	}
	n := len(ch.Categories)
	slot := decimal.NewFromInt(int64(plotW)).DivRound(decimal.NewFromInt(int64(n)), 4)
	barW := slot.Mul(decimal.New(7, -1)) // 70% of the slot
	// Every k-th label, so that at most 14 fit under the axis.
	every := (n + 13) / 14
	for i, cat := range ch.Categories {
		x := decimal.NewFromInt(chartPlotLeft).Add(slot.Mul(decimal.NewFromInt(int64(i)))).Add(slot.Sub(barW).Div(decimal.NewFromInt(2)))
		up, down := decimal.Zero, decimal.Zero
		for j, v := range ch.Values[i] {
			if v.IsZero() {
				continue
			}
			var g chartBar
			if v.IsPositive() {
				up = up.Add(v)
				g = chartBar{Y: sc.y(up), Height: sc.height(v)}
			} else {
				g = chartBar{Y: sc.y(down), Height: sc.height(v.Neg())}
				down = down.Add(v)
			}
			color := chartPalette[j%len(chartPalette)]
			if ch.Series[j].Color != "" {
				color = ch.Series[j].Color
			}
			p(`<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s" data-series="%s" data-category="%s" data-value="%s"><title>%s</title></rect>`,
				chartPx(x), chartPx(g.Y), chartPx(barW), chartPx(g.Height), color, chartText(ch.Series[j].Label), chartText(cat), v.String(),
				chartText(cat+" · "+ch.Series[j].Label+": "+ch.Format(v)))
		}
		if i%every == 0 {
			lx := x.Add(barW.Div(decimal.NewFromInt(2)))
			ly := chartPlotTop + chartPlotHeight + 14
			p(`<text x="%s" y="%s" text-anchor="end" transform="rotate(-35 %s %s)" font-family="sans-serif" font-size="11" fill="#333333">%s</text>`,
				chartPx(lx), chartPxInt(ly), chartPx(lx), chartPxInt(ly), chartText(cat))
		}
	}
	for _, it := range legend {
		p(`<rect x="%d" y="%d" width="10" height="10" fill="%s"/>`, it.x, it.y-9, it.color)
		p(`<text x="%d" y="%d" font-family="sans-serif" font-size="11" fill="#333333">%s</text>`, it.x+14, it.y, chartText(it.label))
	}
	p(`</svg>`)
	return b.Bytes()
}

// chartLegendItem is one entry of the legend.
type chartLegendItem struct {
	x, y         int
	color, label string
}

// legend lays out the legend (only when there is more than one series) in
// rows under the plot, and returns the chart's height with it.
func (ch chartBars) legend() ([]chartLegendItem, int) {
	if len(ch.Series) < 2 {
		return nil, chartHeight
	}
	var items []chartLegendItem
	x, y := chartPlotLeft, chartHeight-14
	for j, s := range ch.Series {
		w := 24 + 7*len([]rune(s.Label))
		if x+w > chartWidth-chartPlotRight && x > chartPlotLeft {
			x, y = chartPlotLeft, y+18
		}
		color := chartPalette[j%len(chartPalette)]
		if s.Color != "" {
			color = s.Color
		}
		items = append(items, chartLegendItem{x: x, y: y, color: color, label: s.Label})
		x += w
	}
	return items, y + 14
}
