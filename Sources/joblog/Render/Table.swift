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
    /// When set, the last column is cut so that no line is wider (lines are never wrapped).
    var width: Int?

    init(header: [String], maxWidths: [Int?] = []) {
        self.header = header
        self.maxWidths = maxWidths
    }

    /// The table as lines (without newlines).
    func render(style: Style) -> [String] {
        var cut = rows.map { row in
            row.enumerated().map { i, cell in Cell(Self.cut(cell.text, limit(i)), color: cell.color) }
        }
        var widths = header.map(\.count)
        for row in cut {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.text.count) }
        }
        if let width, !header.isEmpty {
            // What the other columns and their separators leave for the last one (at least 8).
            let room = max(8, width - widths.dropLast().reduce(0, +) - 2 * (header.count - 1))
            widths[header.count - 1] = min(widths[header.count - 1], room)
            cut = cut.map { row in
                row.enumerated().map { i, cell in
                    i == header.count - 1 ? Cell(Self.cut(cell.text, room), color: cell.color) : cell
                }
            }
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
