import Foundation
import Verification

/// Small self-contained SVG charts for the HTML report: no script, no external
/// resources, so the file renders anywhere, offline.
struct SVGChart {
    struct Series {
        var name: String
        var color: String
        var points: [(x: Double, y: Double)]
    }

    /// A vertical mark on the x axis (an injected fault, a timeline step).
    struct Marker {
        var x: Double
        var label: String
        var color: String
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

    private let left = 64.0, right = 16.0, top = 28.0, bottom = 40.0

    private var plotWidth: Double { width - left - right }
    private var plotHeight: Double { height - top - bottom }

    /// Lines (or dots when `dots`), with optional vertical markers.
    func lines(_ series: [Series], markers: [Marker] = [], dots: Bool = false, xMax: Double? = nil) -> String {
        let xs = series.flatMap { $0.points.map(\.x) } + markers.map(\.x)
        let ys = series.flatMap { $0.points.map(\.y) }
        let xRange = (0.0, max(xMax ?? (xs.max() ?? 1), 1))
        let yRange = yBounds(ys)
        var body = frame(xRange: xRange, yRange: yRange)
        for marker in markers {
            let x = sx(marker.x, xRange)
            body += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + plotHeight))\" "
                + "stroke=\"\(marker.color)\" stroke-dasharray=\"3,3\" stroke-width=\"1\"><title>\(MarkupText.escaped(marker.label))</title></line>"
        }
        for item in series where !item.points.isEmpty {
            if dots {
                for point in item.points {
                    body += "<circle cx=\"\(f(sx(point.x, xRange)))\" cy=\"\(f(sy(point.y, yRange)))\" r=\"3\" "
                        + "fill=\"\(item.color)\" fill-opacity=\"0.75\"><title>\(MarkupText.escaped(item.name))</title></circle>"
                }
            } else {
                let path = item.points.map { "\(f(sx($0.x, xRange))),\(f(sy($0.y, yRange)))" }.joined(separator: " ")
                body += "<polyline fill=\"none\" stroke=\"\(item.color)\" stroke-width=\"1.6\" points=\"\(path)\"/>"
            }
        }
        return wrap(body + legend(series.map { ($0.name, $0.color) }))
    }

    /// Groups of bars: one group per category, one bar per series value.
    func bars(categories: [String], series: [(name: String, color: String, values: [Double])]) -> String {
        let ys = series.flatMap(\.values)
        let yRange = yBounds(ys)
        var body = frame(xRange: nil, yRange: yRange)
        let groupWidth = plotWidth / Double(max(categories.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(series.count, 1))
        for (index, category) in categories.enumerated() {
            let groupX = left + groupWidth * Double(index) + groupWidth * 0.1
            for (offset, item) in series.enumerated() where index < item.values.count {
                let value = item.values[index]
                let y = sy(value, yRange)
                body += "<rect x=\"\(f(groupX + barWidth * Double(offset)))\" y=\"\(f(y))\" width=\"\(f(barWidth * 0.92))\" "
                    + "height=\"\(f(max(top + plotHeight - y, 0)))\" fill=\"\(item.color)\">"
                    + "<title>\(MarkupText.escaped(category)) \(MarkupText.escaped(item.name)): \(MarkupText.escaped(yFormat(value)))</title></rect>"
            }
            body += "<text x=\"\(f(left + groupWidth * (Double(index) + 0.5)))\" y=\"\(f(top + plotHeight + 16))\" "
                + "text-anchor=\"middle\" class=\"tick\">\(MarkupText.escaped(category))</text>"
        }
        return wrap(body + legend(series.map { ($0.name, $0.color) }))
    }

    /// One horizontal lane per label with marks at their times (the fault timeline).
    func lanes(_ lanes: [(label: String, color: String, marks: [(x: Double, size: Int, title: String)])], xMax: Double) -> String {
        let xRange = (0.0, max(xMax, 1))
        var body = frame(xRange: xRange, yRange: nil)
        let laneHeight = plotHeight / Double(max(lanes.count, 1))
        for (index, lane) in lanes.enumerated() {
            let y = top + laneHeight * (Double(index) + 0.5)
            body += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\" class=\"tick\">\(MarkupText.escaped(lane.label))</text>"
            body += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\" stroke=\"#ddd\"/>"
            for mark in lane.marks {
                let radius = min(3 + Double(mark.size).squareRoot(), 12)
                body += "<circle cx=\"\(f(sx(mark.x, xRange)))\" cy=\"\(f(y))\" r=\"\(f(radius))\" fill=\"\(lane.color)\" "
                    + "fill-opacity=\"0.7\"><title>\(MarkupText.escaped(mark.title))</title></circle>"
            }
        }
        return wrap(body)
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
    private func legend(_ items: [(String, String)]) -> String {
        guard items.count > 1 else { return "" }
        let widths = items.map { 22 + Double($0.0.count) * 6.5 }
        var x = left + plotWidth - widths.reduce(0, +)
        var out = ""
        for ((name, color), width) in zip(items, widths) {
            out += "<rect x=\"\(f(x))\" y=\"7\" width=\"12\" height=\"10\" fill=\"\(color)\"/>"
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
