/// Aligns rows of cells into columns for the terminal (first column left, others right).
struct TextTable {
    var rows: [[String]] = []

    mutating func add(_ row: [String]) { rows.append(row) }

    func render(indent: String = "  ") -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            var line = indent
            for (index, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                line += index == 0 ? cell + pad : "  " + pad + cell
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}
