import LanceCore

/// Equal-length columns under a schema.
public struct RecordBatch: Sendable {
    public let schema: Schema
    public let columns: [ArrayData]
    public let count: Int

    public init(schema: Schema, columns: [ArrayData]) throws {
        guard schema.fields.count == columns.count else {
            throw LanceError(.schemaMismatch, "schema has \(schema.fields.count) fields but \(columns.count) columns were given")
        }
        let n = columns.first?.count ?? 0
        for (f, c) in zip(schema.fields, columns) {
            guard c.count == n else {
                throw LanceError(.schemaMismatch, "column has \(c.count) rows, expected \(n)", column: f.name)
            }
            guard c.type == f.type else {
                throw LanceError(.schemaMismatch, "column has type \(c.type), schema says \(f.type)", column: f.name)
            }
        }
        self.schema = schema
        self.columns = columns
        self.count = n
    }

    /// A batch with no columns and `count` rows (e.g. a count-only scan).
    public init(emptyWithCount count: Int) {
        schema = Schema([])
        columns = []
        self.count = count
    }

    /// The column named `name`, or nil.
    public func column(_ name: String) -> ArrayData? {
        schema.index(of: name).map { columns[$0] }
    }

    /// Rows `[start, start + length)`.
    public func slice(_ start: Int, _ length: Int) -> RecordBatch {
        if columns.isEmpty { return RecordBatch(emptyWithCount: length) }
        return try! RecordBatch(schema: schema, columns: columns.map { $0.slice(start, length) })
    }

    /// Concatenates batches of one schema.
    public static func concat(_ batches: [RecordBatch]) throws -> RecordBatch {
        guard let first = batches.first else { throw LanceError.invalid("concat of no batches") }
        if first.columns.isEmpty { return RecordBatch(emptyWithCount: batches.reduce(0) { $0 + $1.count }) }
        for b in batches where b.schema != first.schema {
            throw LanceError(.schemaMismatch, "batches have different schemas")
        }
        return try RecordBatch(schema: first.schema,
                               columns: first.columns.indices.map { k in ArrayData.concat(batches.map { $0.columns[k] }) })
    }
}
