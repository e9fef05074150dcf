/// A table with a header row and left-aligned columns, two spaces apart.
struct Table {
    /// One cell: its text and an optional color for it.
    struct Cell {
        var text: String
        var color: String?

        init(_ text: String, color: String? = nil) {
            self.text = text
            self.color = color
        }
    }

    let header: [String]
    var rows: [[Cell]] = []
    /// Cells wider than this are cut with `…`, per column (nil: no limit).
    var maxWidths: [Int?]

    init(header: [String], maxWidths: [Int?] = []) {
        self.header = header
        self.maxWidths = maxWidths
    }

    /// The table as lines (without newlines).
    func render(style: Style) -> [String] {
        let cut = rows.map { row in
            row.enumerated().map { i, cell in Cell(Self.cut(cell.text, limit(i)), color: cell.color) }
        }
        var widths = header.map(\.count)
        for row in cut {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.text.count) }
        }
        func line(_ cells: [Cell]) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() {
                let last = i == cells.count - 1
                let padded = last ? cell.text : cell.text + String(repeating: " ", count: widths[i] - cell.text.count)
                parts.append(style.apply(cell.color, padded))
            }
            return parts.joined(separator: "  ")
        }
        return [line(header.map { Cell($0) })] + cut.map(line)
    }

    private func limit(_ column: Int) -> Int? { column < maxWidths.count ? maxWidths[column] : nil }

    /// `text`, cut to `limit` characters with `…` at the end.
    static func cut(_ text: String, _ limit: Int?) -> String {
        guard let limit, text.count > limit, limit > 1 else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }
}
