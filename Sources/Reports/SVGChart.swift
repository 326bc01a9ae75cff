import Foundation
import Verification

/// Small self-contained SVG charts for the HTML report: no script, no external
/// resources, so the file renders anywhere, offline.
struct SVGChart {
    struct Series {
        var name: String
        var color: String
        var points: [(x: Double, y: Double)]
        /// Drawn dashed and thin on top of the others, so that a series equal to another stays visible.
        var dashed = false
        var width = 1.6
    }

    /// A vertical mark on the x axis (an injected fault, a timeline step).
    struct Marker {
        var x: Double
        /// The hover text.
        var label: String
        var color: String
        /// Written beside the mark at the top of the plot, when it fits without overlapping another.
        var short: String?
    }

    /// One mark on a lane of the timeline: `title` on hover, `label` written under it when given.
    struct LaneMark {
        var x: Double
        var size: Int
        var title: String
        var label: String?
    }

    struct Lane {
        var label: String
        var color: String
        var marks: [LaneMark]
    }

    var id: String
    var title: String
    var xLabel: String
    var yLabel: String
    var width = 860.0
    var height = 260.0
    var logY = false
    /// Formats y tick values (e.g. as durations).
    var yFormat: (Double) -> String = { Self.number($0) }

    init(id: String, title: String, xLabel: String, yLabel: String) {
        self.id = id
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// The left gutter: at least this, widened to the longest tick or lane label (``fitGutter(to:axisLabel:)``).
    private var left = 64.0
    private let right = 16.0, top = 28.0, bottom = 40.0
    /// Rows of staggered labels (markers, steps) and their spacing.
    private static let labelRows = 3, laneLabelRows = 2, rowHeight = 14.0

    private var plotWidth: Double { width - left - right }
    private var plotHeight: Double { height - top - bottom }

    /// Lines (or dots when `dots`), with optional vertical markers.
    func lines(_ series: [Series], markers: [Marker] = [], dots: Bool = false, xMax: Double? = nil) -> String {
        let xs = series.flatMap { $0.points.map(\.x) } + markers.map(\.x)
        let ys = series.flatMap { $0.points.map(\.y) }
        let xRange = (0.0, max(xMax ?? (xs.max() ?? 1), 1))
        let yRange = yBounds(ys)
        var chart = self
        chart.fitGutter(to: yTicks(yRange).map(yFormat), axisLabel: true)
        return chart.drawLines(series, markers: markers, dots: dots, xRange: xRange, yRange: yRange)
    }

    private func drawLines(_ series: [Series], markers: [Marker], dots: Bool, xRange: (Double, Double),
                           yRange: (Double, Double)) -> String {
        var body = frame(xRange: xRange, yRange: yRange)
        for marker in markers {
            let x = sx(marker.x, xRange)
            body += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + plotHeight))\" "
                + "stroke=\"\(marker.color)\" stroke-dasharray=\"3,3\" stroke-width=\"1\"><title>\(MarkupText.escaped(marker.label))</title></line>"
        }
        let labelled = markers.filter { $0.short != nil }
        let placed = placeLabels(labelled.map { (sx($0.x, xRange), $0.short!) }, rows: Self.labelRows)
        for (marker, spot) in zip(labelled, placed) {
            guard let spot else { continue }
            body += label(marker.short!, x: spot.x, y: top + Self.rowHeight * Double(spot.row + 1), color: marker.color,
                          title: marker.label)
        }
        // Dashed series last, on top of the solid ones they may coincide with.
        for item in series.filter({ !$0.dashed }) + series.filter(\.dashed) where !item.points.isEmpty {
            if dots {
                for point in item.points {
                    body += "<circle cx=\"\(f(sx(point.x, xRange)))\" cy=\"\(f(sy(point.y, yRange)))\" r=\"3\" "
                        + "fill=\"\(item.color)\" fill-opacity=\"0.75\"><title>\(MarkupText.escaped(item.name))</title></circle>"
                }
            } else {
                let path = item.points.map { "\(f(sx($0.x, xRange))),\(f(sy($0.y, yRange)))" }.joined(separator: " ")
                body += "<polyline fill=\"none\" stroke=\"\(item.color)\" stroke-width=\"\(f(item.width))\""
                    + (item.dashed ? " stroke-dasharray=\"6,4\"" : "") + " points=\"\(path)\"><title>\(MarkupText.escaped(item.name))</title></polyline>"
            }
        }
        return wrap(body + legend(series.map { ($0.name, $0.color, $0.dashed) }))
    }

    /// Groups of bars: one group per category, one bar per series value.
    func bars(categories: [String], series: [(name: String, color: String, values: [Double])]) -> String {
        let ys = series.flatMap(\.values)
        let yRange = yBounds(ys)
        var chart = self
        chart.fitGutter(to: yTicks(yRange).map(yFormat), axisLabel: true)
        return chart.drawBars(categories: categories, series: series, yRange: yRange)
    }

    private func drawBars(categories: [String], series: [(name: String, color: String, values: [Double])],
                          yRange: (Double, Double)) -> String {
        var body = frame(xRange: nil, yRange: yRange)
        let groupWidth = plotWidth / Double(max(categories.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(series.count, 1))
        // Category names in two staggered rows under the bars, so long ones do not run into each other.
        let centres = categories.indices.map { left + groupWidth * (Double($0) + 0.5) }
        let rows = Self.stagger(zip(centres, categories).map { ($0 - Self.textWidth($1) / 2, Self.textWidth($1)) }, rows: 2)
        for (index, category) in categories.enumerated() {
            let groupX = left + groupWidth * Double(index) + groupWidth * 0.1
            for (offset, item) in series.enumerated() where index < item.values.count {
                let value = item.values[index]
                let y = sy(value, yRange)
                body += "<rect x=\"\(f(groupX + barWidth * Double(offset)))\" y=\"\(f(y))\" width=\"\(f(barWidth * 0.92))\" "
                    + "height=\"\(f(max(top + plotHeight - y, 0)))\" fill=\"\(item.color)\">"
                    + "<title>\(MarkupText.escaped(category)) \(MarkupText.escaped(item.name)): \(MarkupText.escaped(yFormat(value)))</title></rect>"
            }
            let row = Double(rows[index] ?? index % 2)
            body += "<text x=\"\(f(centres[index]))\" y=\"\(f(top + plotHeight + 16 + 14 * row))\" "
                + "text-anchor=\"middle\" class=\"tick\">\(MarkupText.escaped(category))</text>"
        }
        return wrap(body + legend(series.map { ($0.name, $0.color, false) }))
    }

    /// One horizontal lane per label with marks at their times (the fault timeline). The chart is as tall as
    /// its lanes: a lane whose marks have labels gets rows for them under its line.
    func lanes(_ lanes: [Lane], xMax: Double) -> String {
        var chart = self
        chart.fitGutter(to: lanes.map(\.label), axisLabel: false)
        let heights = lanes.map { lane in
            Self.laneHeight + (lane.marks.contains { $0.label != nil } ? Self.rowHeight * Double(Self.laneLabelRows) : 0)
        }
        chart.height = top + bottom + max(heights.reduce(0, +), Self.laneHeight)
        return chart.drawLanes(lanes, heights: heights, xRange: (0.0, max(xMax, 1)))
    }

    private static let laneHeight = 28.0

    private func drawLanes(_ lanes: [Lane], heights: [Double], xRange: (Double, Double)) -> String {
        var body = frame(xRange: xRange, yRange: nil)
        var laneTop = top
        for (lane, laneHeight) in zip(lanes, heights) {
            let y = laneTop + Self.laneHeight / 2
            laneTop += laneHeight
            body += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\" class=\"tick lane\">\(MarkupText.escaped(lane.label))</text>"
            body += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\" stroke=\"#ddd\"/>"
            for mark in lane.marks {
                let radius = min(3 + Double(mark.size).squareRoot(), 12)
                body += "<circle cx=\"\(f(sx(mark.x, xRange)))\" cy=\"\(f(y))\" r=\"\(f(radius))\" fill=\"\(lane.color)\" "
                    + "fill-opacity=\"0.7\"><title>\(MarkupText.escaped(mark.title))</title></circle>"
            }
            let labelled = lane.marks.filter { $0.label != nil }
            let placed = placeLabels(labelled.map { (sx($0.x, xRange), $0.label!) }, rows: Self.laneLabelRows)
            for (mark, spot) in zip(labelled, placed) {
                guard let spot else { continue }
                body += label(mark.label!, x: spot.x, y: y + 6 + Self.rowHeight * Double(spot.row + 1), color: "#333",
                              title: mark.title)
            }
        }
        return wrap(body)
    }

    // MARK: Labels

    /// A label's estimated width in pixels at `fontSize` (the report's sans-serif). Per-character widths
    /// of DejaVu Sans, the widest common default, rounded up: an estimate that is never short keeps the
    /// gutter wide enough (the headless-browser test measures the real widths against it).
    static func textWidth(_ text: String, fontSize: Double = 11) -> Double {
        text.unicodeScalars.reduce(0.0) { width, scalar in
            let em: Double
            switch scalar {
            case "i", "l", "j", ".", ",", ":", ";", "'", "|", "!": em = 0.32
            case " ", "f", "r", "t", "(", ")", "[", "]", "-": em = 0.42
            case "m", "w", "M", "W", "%", "@": em = 1.0
            case "A"..."Z": em = 0.78
            case "0"..."9": em = 0.66
            case _ where scalar.isASCII: em = 0.64
            default: em = 1.0
            }
            return width + em * fontSize
        }
    }

    /// Widens the left gutter so that the longest of `labels`, right-aligned 6 px left of the plot, starts
    /// inside the chart (right of the rotated y-axis title when there is one).
    private mutating func fitGutter(to labels: [String], axisLabel: Bool) {
        let widest = labels.map { Self.textWidth($0) }.max() ?? 0
        left = max(left, (axisLabel ? 26 : 8) + widest + 6)
    }

    /// Greedy rows for labels of `width` starting at `x`, left to right: each label goes in the first row
    /// where it clears the previous one by 4 px; nil when no row has room (its mark keeps its hover title).
    static func stagger(_ items: [(x: Double, width: Double)], rows: Int) -> [Int?] {
        var ends = Array(repeating: -Double.infinity, count: rows)
        var placed = [Int?](repeating: nil, count: items.count)
        for index in items.indices.sorted(by: { items[$0].x < items[$1].x }) {
            guard let row = ends.indices.first(where: { ends[$0] + 4 <= items[index].x }) else { continue }
            placed[index] = row
            ends[row] = items[index].x + items[index].width
        }
        return placed
    }

    /// Where each label at a mark's pixel x goes: right of the mark, or left of it near the right edge.
    private func placeLabels(_ labels: [(x: Double, text: String)], rows: Int) -> [(x: Double, row: Int)?] {
        let starts = labels.map { label in
            let width = Self.textWidth(label.text)
            return (x: label.x + 3 + width > left + plotWidth ? label.x - 3 - width : label.x + 3, width: width)
        }
        return zip(starts, Self.stagger(starts, rows: rows)).map { start, row in row.map { (start.x, $0) } }
    }

    /// A short label with a halo, so it stays readable over grid and data lines.
    private func label(_ text: String, x: Double, y: Double, color: String, title: String) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" class=\"tick mark\" fill=\"\(color)\" stroke=\"#fafafa\" stroke-width=\"3\" "
            + "paint-order=\"stroke\">\(MarkupText.escaped(text))<title>\(MarkupText.escaped(title))</title></text>"
    }

    // MARK: Frame and scales

    private func yBounds(_ values: [Double]) -> (Double, Double) {
        let top = max(values.max() ?? 1, logY ? 10 : 1)
        if logY {
            // Strictly below the smallest value, so that its bar has a height.
            let low = max(values.filter { $0 > 0 }.min() ?? 1, 1) * 0.99
            return (floorPow10(low), ceilPow10(top))
        }
        return (0, niceCeiling(top * 1.05))
    }

    private func sx(_ x: Double, _ range: (Double, Double)) -> Double {
        left + (x - range.0) / (range.1 - range.0) * plotWidth
    }

    private func sy(_ y: Double, _ range: (Double, Double)) -> Double {
        if logY {
            let low = log10(range.0), high = log10(range.1)
            let value = log10(max(y, range.0))
            return top + plotHeight - (value - low) / max(high - low, 1e-9) * plotHeight
        }
        return top + plotHeight - (y - range.0) / max(range.1 - range.0, 1e-9) * plotHeight
    }

    private func frame(xRange: (Double, Double)?, yRange: (Double, Double)?) -> String {
        var out = "<text x=\"\(f(left))\" y=\"16\" class=\"title\">\(MarkupText.escaped(title))</text>"
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"#fafafa\" stroke=\"#bbb\"/>"
        if let yRange {
            for value in yTicks(yRange) {
                let y = sy(value, yRange)
                out += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\" stroke=\"#e4e4e4\"/>"
                out += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\" class=\"tick\">\(MarkupText.escaped(yFormat(value)))</text>"
            }
            out += "<text x=\"12\" y=\"\(f(top + plotHeight / 2))\" transform=\"rotate(-90 12 \(f(top + plotHeight / 2)))\" "
                + "text-anchor=\"middle\" class=\"axis\">\(MarkupText.escaped(yLabel))</text>"
        }
        if let xRange {
            let step = niceStep(xRange.1 / 8)
            var x = 0.0
            while x <= xRange.1 + step * 1e-9 {
                let px = sx(x, xRange)
                out += "<text x=\"\(f(px))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\" class=\"tick\">\(Self.number(x))</text>"
                x += step
            }
            out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 4))\" text-anchor=\"middle\" class=\"axis\">\(MarkupText.escaped(xLabel))</text>"
        }
        return out
    }

    private func yTicks(_ range: (Double, Double)) -> [Double] {
        if logY {
            var ticks: [Double] = []
            var value = range.0
            while value <= range.1 * 1.0001 {
                ticks.append(value)
                value *= 10
            }
            return ticks
        }
        let step = niceStep(range.1 / 4)
        return stride(from: 0.0, through: range.1 + step * 1e-9, by: step).map { $0 }
    }

    /// Right-aligned on the title line, so it never covers the title or the data.
    private func legend(_ items: [(name: String, color: String, dashed: Bool)]) -> String {
        guard items.count > 1 else { return "" }
        let widths = items.map { 26 + Self.textWidth($0.name) }
        var x = left + plotWidth - widths.reduce(0, +)
        var out = ""
        for ((name, color, dashed), width) in zip(items, widths) {
            out += dashed
                ? "<line x1=\"\(f(x))\" y1=\"12\" x2=\"\(f(x + 12))\" y2=\"12\" stroke=\"\(color)\" stroke-width=\"2\" stroke-dasharray=\"4,2\"/>"
                : "<rect x=\"\(f(x))\" y=\"7\" width=\"12\" height=\"10\" fill=\"\(color)\"/>"
            out += "<text x=\"\(f(x + 16))\" y=\"16\" class=\"tick\">\(MarkupText.escaped(name))</text>"
            x += width
        }
        return out
    }

    private func wrap(_ body: String) -> String {
        "<svg class=\"plot\" id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" "
            + "viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\" aria-label=\"\(MarkupText.escaped(title))\">\(body)</svg>"
    }

    // MARK: Numbers

    private func niceStep(_ raw: Double) -> Double {
        guard raw > 0 else { return 1 }
        let magnitude = floorPow10(raw)
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * magnitude
    }

    private func niceCeiling(_ value: Double) -> Double {
        let step = niceStep(value / 4)
        return (value / step).rounded(.up) * step
    }

    private func floorPow10(_ value: Double) -> Double { pow(10, Foundation.log10(value).rounded(.down)) }
    private func ceilPow10(_ value: Double) -> Double { pow(10, Foundation.log10(value).rounded(.up)) }
    private func log10(_ value: Double) -> Double { Foundation.log10(value) }

    private func f(_ value: Double) -> String { Format.fixed(value, digits: 1) }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : Format.fixed(value, digits: 2)
    }
}
