import Foundation
import LanceArrow
import LanceCore
import LanceProto
import SwiftProtobuf

/// Options of a ``LanceFileWriter``.
public struct LanceFileWriterOptions: Sendable, Hashable {
    /// Bytes of data buffered per top-level field before its pages are encoded and written
    /// (pylance buffers 8 MiB per column).
    public var pageSize: Int

    public init(pageSize: Int = 8 * 1024 * 1024) {
        self.pageSize = max(1, pageSize)
    }
}

/// What a finished file contains.
public struct FileSummary: Sendable, Hashable {
    /// Rows in the file.
    public var rows: UInt64
    /// File size in bytes.
    public var size: UInt64
    /// Number of columns.
    public var columnCount: Int
    /// Field id → column index, for every field that owns a column (2.0: all fields; 2.1+: leaves).
    public var fieldColumns: [Int32: Int]
    /// `DataFile.fields` / `DataFile.column_indices` as the manifest lists them (pre-order).
    public var fieldIds: [Int32]
    public var columnIndices: [Int32]
    public var version: FileVersion
}

/// Writes a Lance v2 data file (versions 2.0, 2.1, 2.2) that pylance reads.
///
/// Batches are buffered per top-level field until about ``LanceFileWriterOptions/pageSize`` bytes
/// have accumulated, then encoded into pages and streamed to the sink, so memory stays bounded
/// by the page size rather than the file size.
///
/// ```swift
/// let writer = try LanceFileWriter(object: LocalFileSink(path: "x.lance"), schema: schema, version: .v2_1)
/// try await writer.write(batch)
/// let summary = try await writer.finish()
/// ```
public actor LanceFileWriter {
    public nonisolated let schema: LanceSchema
    public nonisolated let version: FileVersion
    public nonisolated let options: LanceFileWriterOptions
    private let sink: any FileSink
    /// Field id → column index.
    private let fieldColumns: [Int32: Int]
    private let fieldOrder: [(id: Int32, column: Int)]
    private let columnCount: Int

    private var position: UInt64 = 0
    private var pages: [[Lance_File_V2_ColumnMetadata.Page]]
    private var columnRows: [UInt64]
    private var pending: [[ArrayData]]
    private var pendingBytes: [Int]
    private var rows: UInt64 = 0
    /// Rows given to each top-level field by ``writePage(field:_:)`` (on top of `rows`).
    private var pageRows: [UInt64]
    private var finished = false
    private var singlePageColumns: [Int: Lance_File_V2_Encoding] = [:]
    private var failed = false
    private var extraGlobalBuffers: [[UInt8]] = []

    /// Creates a writer. Throws `unsupported` for versions other than 2.0, 2.1 and 2.2.
    public init(object: any FileSink, schema: LanceSchema, version: FileVersion = .v2_2,
                options: LanceFileWriterOptions = LanceFileWriterOptions()) throws {
        guard version == .v2_0 || version == .v2_1 || version == .v2_2 else {
            throw LanceError.unsupported("cannot write Lance file version \(version)")
        }
        self.sink = object
        self.schema = schema
        self.version = version
        self.options = options
        var map: [Int32: Int] = [:]
        var order: [(Int32, Int)] = []
        var next = 0
        for f in schema.allFields {
            let isLeaf: Bool
            switch f.type {
            case .struct, .list, .largeList: isLeaf = false
            default: isLeaf = true
            }
            if version == .v2_0 || isLeaf {
                map[f.id] = next
                order.append((f.id, next))
                next += 1
            }
        }
        fieldColumns = map
        fieldOrder = order
        columnCount = next
        pages = Array(repeating: [], count: next)
        columnRows = Array(repeating: 0, count: next)
        pending = Array(repeating: [], count: schema.fields.count)
        pendingBytes = Array(repeating: 0, count: schema.fields.count)
        pageRows = Array(repeating: 0, count: schema.fields.count)
    }

    /// Convenience: a writer to a local file path.
    public init(path: String, schema: LanceSchema, version: FileVersion = .v2_2,
                options: LanceFileWriterOptions = LanceFileWriterOptions()) throws {
        try self.init(object: try LocalFileSink(path: path), schema: schema, version: version, options: options)
    }

    /// Appends the rows of `batch`. Throws `schemaMismatch` (naming the field) when the batch's
    /// columns do not match the writer's schema.
    public func write(_ batch: RecordBatch) async throws {
        guard !finished else { throw LanceError.invalid("write after finish") }
        guard !failed else { throw LanceError.invalid("writer failed earlier") }
        try LanceFileWriter.check(batch, against: schema)
        if batch.count == 0 { return }
        for (k, column) in batch.columns.enumerated() {
            pending[k].append(column)
            pendingBytes[k] += WriterUtil.estimatedBytes(column)
        }
        rows += UInt64(batch.count)
        for k in 0 ..< schema.fields.count where pendingBytes[k] >= options.pageSize {
            try await flush(field: k)
        }
    }

    /// Appends `array` to top-level field `k` alone and encodes it at once as one page (after anything
    /// buffered for the field): for a caller that writes a file column by column, in pages it chooses,
    /// without holding a whole column. At ``finish()`` every top-level field must hold the same rows.
    public func writePage(field k: Int, _ array: ArrayData) async throws {
        guard !finished else { throw LanceError.invalid("write after finish") }
        guard !failed else { throw LanceError.invalid("writer failed earlier") }
        guard schema.fields.indices.contains(k) else { throw LanceError.invalid("the file schema has no top-level field \(k)") }
        try LanceFileWriter.checkType(array, field: schema.fields[k], path: schema.fields[k].name)
        if array.count == 0 { return }
        try await flush(field: k)
        pending[k] = [array]
        pendingBytes[k] = WriterUtil.estimatedBytes(array)
        pageRows[k] += UInt64(array.count)
        try await flush(field: k, onePage: true)
    }

    /// Adds a global buffer, written after the file descriptor on `finish()`; returns its index (1, 2, …).
    public func addGlobalBuffer(_ bytes: [UInt8]) -> Int {
        extraGlobalBuffers.append(bytes)
        return extraGlobalBuffers.count
    }

    /// Writes the remaining pages, the metadata and the footer, closes the sink and describes the file.
    public func finish() async throws -> FileSummary {
        guard !finished else { throw LanceError.invalid("finish called twice") }
        guard !failed else { throw LanceError.invalid("writer failed earlier") }
        for k in 0 ..< schema.fields.count { try await flush(field: k) }
        if let first = pageRows.first {
            guard pageRows.allSatisfy({ $0 == first }) else {
                failed = true
                throw LanceError.invalid("the file's fields were given different numbers of rows (\(pageRows.map { rows + $0 }))")
            }
            rows += first
        }
        finished = true
        for (c, encoding) in singlePageColumns.sorted(by: { $0.key < $1.key }) where columnRows[c] > 0 {
            var p = Lance_File_V2_ColumnMetadata.Page()
            p.length = columnRows[c]
            p.encoding = encoding
            pages[c] = [p]
        }
        var out = ByteSink()
        // Global buffer 0: the file descriptor.
        padTo64(&out)
        var descriptor = Lance_File_FileDescriptor()
        descriptor.schema = schema.protoSchema()
        descriptor.length = rows
        let descriptorBytes: [UInt8] = Array(try descriptor.serializedData())
        let gbPos = position + UInt64(out.count)
        out.append(contentsOf: descriptorBytes)
        var extraPositions: [(UInt64, UInt64)] = []
        for b in extraGlobalBuffers {
            padTo64(&out)
            extraPositions.append((position + UInt64(out.count), UInt64(b.count)))
            out.append(contentsOf: b)
        }
        // Column metadata.
        let columnEncoding = try WriterUtil.direct(
            { () -> Lance_Encodings_ColumnEncoding in
                var c = Lance_Encodings_ColumnEncoding()
                c.columnEncoding = .values(Google_Protobuf_Empty())
                return c
            }())
        var cmo: [(UInt64, UInt64)] = []
        let cmStart = position + UInt64(out.count)
        for c in 0 ..< columnCount {
            var meta = Lance_File_V2_ColumnMetadata()
            meta.encoding = columnEncoding
            meta.pages = pages[c]
            let bytes: [UInt8] = Array(try meta.serializedData())
            cmo.append((position + UInt64(out.count), UInt64(bytes.count)))
            out.append(contentsOf: bytes)
        }
        let cmoStart = position + UInt64(out.count)
        for (p, l) in cmo { out.append(p); out.append(l) }
        let gboStart = position + UInt64(out.count)
        out.append(gbPos); out.append(UInt64(descriptorBytes.count))
        for (p, l) in extraPositions { out.append(p); out.append(l) }
        out.append(cmStart)
        out.append(cmoStart)
        out.append(gboStart)
        out.append(UInt32(1 + extraPositions.count))
        out.append(UInt32(columnCount))
        if version == .v2_0 {
            out.append(UInt16(0)); out.append(UInt16(3))
        } else {
            out.append(UInt16(version.major)); out.append(UInt16(version.minor))
        }
        out.append(contentsOf: Array("LANC".utf8))
        try await sink.write(out.bytes)
        position += UInt64(out.count)
        try await sink.close()
        let ids = fieldOrder.map(\.id)
        return FileSummary(rows: rows, size: position, columnCount: columnCount, fieldColumns: fieldColumns,
                           fieldIds: ids, columnIndices: fieldOrder.map { Int32($0.column) }, version: version)
    }

    // MARK: - Internals

    private func padTo64(_ out: inout ByteSink) {
        let p = (position + UInt64(out.count)) % 64
        if p != 0 { out.append(contentsOf: [UInt8](repeating: 0, count: Int(64 - p))) }
    }

    /// Encodes everything buffered for top-level field `k` into pages of about `pageSize` bytes (into one
    /// page when `onePage`).
    private func flush(field k: Int, onePage: Bool = false) async throws {
        guard !pending[k].isEmpty else { return }
        let field = schema.fields[k]
        let all: ArrayData
        do { all = try WriterUtil.concatPending(pending[k], field: field) } catch { failed = true; throw error }
        let bytes = pendingBytes[k]
        pending[k] = []
        pendingBytes[k] = 0
        let pageCount = onePage ? 1 : max(1, (bytes + options.pageSize - 1) / options.pageSize)
        let rowsPerPage = max(1, (all.count + pageCount - 1) / pageCount)
        var start = 0
        var out = ByteSink()
        func encode(_ start: Int, _ n: Int, into out: inout ByteSink) throws {
            let slice = all.slice(start, n)
            var encoded: [EncodedPage] = []
            do {
                if version == .v2_0 {
                    try V20Encoder.encode(field: field, array: slice, columns: fieldColumns, into: &encoded)
                } else {
                    try V21Encoder.encode(field: field, array: slice, columns: fieldColumns, version: version, into: &encoded)
                }
            } catch let e as V21Encoder.ChunkTooLarge {
                // Fewer rows per page, fewer empty lists per chunk.
                guard n > 1 else { throw e.lanceError }
                try encode(start, n / 2, into: &out)
                try encode(start + n / 2, n - n / 2, into: &out)
                return
            }
            for page in encoded { place(page, into: &out) }
        }
        do {
            while start < all.count {
                let n = min(rowsPerPage, all.count - start)
                try encode(start, n, into: &out)
                start += n
            }
        } catch let e as LanceError {
            failed = true
            throw e.at(column: field.name)
        }
        try await sink.write(out.bytes)
        position += UInt64(out.count)
    }

    private func place(_ page: EncodedPage, into out: inout ByteSink) {
        if page.singlePage {
            // pylance reads a 2.0 struct column only as one page spanning the whole file.
            columnRows[page.column] += page.length
            singlePageColumns[page.column] = page.encoding
            return
        }
        var p = Lance_File_V2_ColumnMetadata.Page()
        for b in page.buffers {
            padTo64(&out)
            p.bufferOffsets.append(position + UInt64(out.count))
            p.bufferSizes.append(UInt64(b.count))
            out.append(contentsOf: b)
        }
        p.length = page.length
        p.encoding = page.encoding
        p.priority = columnRows[page.column]
        columnRows[page.column] += page.length
        pages[page.column].append(p)
    }

    /// Checks a batch's columns against the schema.
    static func check(_ batch: RecordBatch, against schema: LanceSchema) throws {
        guard batch.columns.count == schema.fields.count else {
            throw LanceError(.schemaMismatch, "batch has \(batch.columns.count) columns, the file schema has \(schema.fields.count) fields")
        }
        for (k, f) in schema.fields.enumerated() {
            let bf = batch.schema.fields[k]
            guard bf.name == f.name else {
                throw LanceError(.schemaMismatch, "batch column \(k) is named `\(bf.name)`, the file schema expects `\(f.name)`", column: f.name)
            }
            try checkType(batch.columns[k], field: f, path: f.name)
        }
    }

    static func checkType(_ a: ArrayData, field f: LanceField, path: String) throws {
        func fail(_ why: String) -> LanceError { LanceError(.schemaMismatch, why, column: path) }
        if !f.nullable && a.nullCount > 0 && a.type != .null {
            throw fail("field `\(path)` is not nullable but the batch has \(a.nullCount) nulls")
        }
        switch (a.type, f.type) {
        case (.struct(let got), .struct(let want)):
            guard got.count == want.count, got.count == f.children.count else {
                throw fail("field `\(path)` has \(got.count) struct members, the schema has \(want.count)")
            }
            for (i, c) in f.children.enumerated() {
                guard got[i].name == c.name else { throw fail("struct member \(i) of `\(path)` is `\(got[i].name)`, expected `\(c.name)`") }
                try checkType(a.children[i], field: c, path: path + "." + c.name)
            }
        case (.list, .list), (.largeList, .largeList):
            guard let item = f.children.first else { throw fail("list field `\(path)` has no item field") }
            try checkType(a.children[0], field: item, path: path + "." + item.name)
        case (.fixedSizeList(let gi, let gn), .fixedSizeList(let wi, let wn)):
            guard gn == wn, sameType(gi.type, wi.type) else {
                throw fail("field `\(path)` has type \(a.type), the schema says \(f.type)")
            }
        default:
            guard sameType(a.type, f.type) else {
                throw fail("field `\(path)` has type \(a.type), the schema says \(f.type)")
            }
        }
    }

    /// Type equality ignoring child field names, nullability and metadata.
    static func sameType(_ x: DataType, _ y: DataType) -> Bool {
        switch (x, y) {
        case (.list(let a), .list(let b)), (.largeList(let a), .largeList(let b)): return sameType(a.type, b.type)
        case (.fixedSizeList(let a, let n), .fixedSizeList(let b, let m)): return n == m && sameType(a.type, b.type)
        case (.struct(let a), .struct(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.name == $1.name && sameType($0.type, $1.type) }
        default: return x == y
        }
    }
}
