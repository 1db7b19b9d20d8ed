import Foundation
import LanceArrow
import LanceCore
import LanceExpr
import LanceFile

extension Dataset {
    /// The schema filters are bound against: the table's columns plus `_rowaddr` and `_rowid`.
    var filterSchema: Schema {
        var fields = schema.fields
        if !fields.contains(where: { $0.name == VirtualColumn.rowAddress }) {
            fields.append(Field(VirtualColumn.rowAddress, .uint64, nullable: false))
        }
        if !fields.contains(where: { $0.name == VirtualColumn.rowId }) {
            fields.append(Field(VirtualColumn.rowId, .uint64, nullable: false))
        }
        return Schema(fields)
    }

    /// Parses and type checks a SQL filter against this version's schema (columns, `_rowaddr`,
    /// `_rowid`). Throws `LanceError(.invalidInput)` with the position of the problem.
    public func bindFilter(_ filter: String) throws -> BoundExpr {
        try BoundExpr(filter: filter, schema: filterSchema)
    }

    /// Streams the rows that satisfy the SQL `filter` (all rows when nil), fragment by fragment.
    ///
    /// Late materialization: for each batch of physical rows the filter's columns are read first,
    /// then only the matching rows of the other projected columns. `limit`/`offset` count matching
    /// rows. Deleted rows never match. Errors (a malformed filter, an unknown column) are thrown by
    /// the sequence's iterator; use ``bindFilter(_:)`` to check a filter up front.
    public func scan(columns: [String]? = nil, where filter: String?, limit: Int? = nil, offset: Int = 0,
                     withRowAddress: Bool = false, withRowId: Bool = false, batchSize: Int = 8192) -> FilteredScan {
        FilteredScan(dataset: self, columns: columns, filter: filter, limit: limit, offset: offset,
                     withRowAddress: withRowAddress, withRowId: withRowId, batchSize: batchSize)
    }

    /// Reads the rows satisfying `filter` into one batch.
    public func toBatch(columns: [String]? = nil, where filter: String?, limit: Int? = nil, offset: Int = 0,
                        withRowAddress: Bool = false, withRowId: Bool = false) async throws -> RecordBatch {
        guard let filter else {
            return try await toBatch(columns: columns, limit: limit, offset: offset, withRowAddress: withRowAddress,
                                     withRowId: withRowId)
        }
        var batches: [RecordBatch] = []
        // One result batch anyway: decode in larger batches (fewer per-page decode calls).
        let s = scan(columns: columns, where: filter, limit: limit, offset: offset,
                     withRowAddress: withRowAddress, withRowId: withRowId, batchSize: 32768)
        if limit == nil && offset == 0 {
            batches = try await s.collect(countOnly: false).batches
        } else {
            for try await b in s { batches.append(b) }
        }
        if batches.isEmpty {
            let fields = try resolve(columns: columns)
            return try Dataset.assemble(fields: fields, columns: fields.map { .nulls($0.type, count: 0) },
                                        rowAddresses: withRowAddress ? [] : nil, rowIds: withRowId ? [] : nil, count: 0)
        }
        return try RecordBatch.concat(batches)
    }

    /// Number of live rows satisfying `filter` (all live rows when nil); reads only the filter's columns.
    public func countRows(where filter: String?) async throws -> Int {
        guard let filter else { return try await countRows() }
        // Larger batches than a scan's default: only the filter's columns are held, and fewer
        // decode calls amortize per-page work (dictionaries, chunk metadata).
        return try await scan(columns: [], where: filter, batchSize: 32768).collect(countOnly: true).count
    }

    /// Row addresses (`fragment_id << 32 | offset`) of the live rows satisfying `filter`, in scan order.
    public func rowAddresses(where filter: String) async throws -> [UInt64] {
        var out: [UInt64] = []
        for try await b in scan(columns: [], where: filter, withRowAddress: true) {
            guard let a = b.column(VirtualColumn.rowAddress) else { continue }
            out.append(contentsOf: a.buffers[0].toArray(of: UInt64.self).prefix(a.count))
        }
        return out
    }
}

/// The rows of a dataset that satisfy a filter (see ``Dataset/scan(columns:where:limit:offset:withRowAddress:withRowId:batchSize:)``).
public struct FilteredScan: AsyncSequence, Sendable {
    public typealias Element = RecordBatch
    let dataset: Dataset
    let columns: [String]?
    let filter: String?
    let limit: Int?
    let offset: Int
    let withRowAddress: Bool
    let withRowId: Bool
    let batchSize: Int

    public func makeAsyncIterator() -> Iterator { Iterator(scan: self) }

    /// Runs the whole scan (limit and offset are not applied: callers use it without them),
    /// evaluating ranges of rows concurrently, as many at a time as there are cores, and returns
    /// the matching rows' batches in scan order (none when `countOnly`) and their number.
    func collect(countOnly: Bool) async throws -> (batches: [RecordBatch], count: Int) {
        var it = makeAsyncIterator()
        try it.prepare()
        let ctx = it.context(it.bound!)
        let ds = dataset
        let width = Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)
        var sources: [(fragment: Fragment, deletions: DeletionVector?, rowIds: [UInt64]?)] = []
        var items: [(source: Int, start: Int, end: Int)] = []
        for f in ds.fragments {
            if try await ds.liveRows(f) == 0 { continue }
            let dv = try await ds.deletionVector(f)
            let ids = (withRowId || it.needsRowId) ? try await ds.rowIds(f, deletions: dv) : nil
            sources.append((f, dv, ids))
            let rows = f.physicalRows
            // At least one range per core when the fragment is large enough to be worth splitting.
            let pieces = Swift.max((rows + batchSize - 1) / batchSize, Swift.min(width, (rows + 4095) / 4096), 1)
            let size = Swift.max(1, (rows + pieces - 1) / pieces)
            var s = 0
            while s < rows {
                items.append((sources.count - 1, s, Swift.min(rows, s + size)))
                s += size
            }
        }
        let work = items
        let from = sources
        @Sendable func run(_ i: Int) async throws -> (Int, RecordBatch?, Int) {
            let item = work[i]
            let src = from[item.source]
            var reader = FragmentReader(dataset: ds, fragment: src.fragment)
            guard let chunk = try await ctx.evaluate(reader: &reader, deletions: src.deletions, rowIds: src.rowIds,
                                                     start: item.start, end: item.end, countOnly: countOnly),
                chunk.matchCount > 0 else { return (i, nil, 0) }
            if countOnly { return (i, nil, chunk.matchCount) }
            return (i, try await ctx.materialize(chunk, reader: &reader, rowIds: src.rowIds), chunk.matchCount)
        }
        var results = [RecordBatch?](repeating: nil, count: work.count)
        var total = 0
        try await withThrowingTaskGroup(of: (Int, RecordBatch?, Int).self) { group in
            var next = 0
            while next < Swift.min(width, work.count) {
                let i = next
                group.addTask { try await run(i) }
                next += 1
            }
            while let (i, b, c) = try await group.next() {
                results[i] = b
                total += c
                if next < work.count {
                    let j = next
                    group.addTask { try await run(j) }
                    next += 1
                }
            }
        }
        return (results.compactMap { $0 }, total)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let scan: FilteredScan
        var plain: DatasetScan.Iterator?
        var prepared = false
        var bound: BoundExpr?
        var fields: [LanceField] = []
        var filterFields: [LanceField] = []
        var filterSchema = Schema([])
        var needsAddress = false
        var needsRowId = false
        var nextFragment = 0
        var remainingOffset: Int
        var remainingLimit: Int
        var current: Cursor?
        var finished = false
        /// Batches carry only a row count (no columns, no offset/limit): countRows(where:).
        var countOnly = false

        struct Cursor {
            var reader: FragmentReader
            var deletions: DeletionVector?
            var rowIds: [UInt64]?
            var position = 0
        }

        init(scan: FilteredScan) {
            self.scan = scan
            remainingOffset = Swift.max(0, scan.offset)
            remainingLimit = scan.limit.map { Swift.max(0, $0) } ?? Int.max
            if scan.filter == nil {
                plain = scan.dataset.scan(columns: scan.columns, limit: scan.limit, offset: scan.offset,
                                          withRowAddress: scan.withRowAddress, withRowId: scan.withRowId,
                                          batchSize: scan.batchSize).makeAsyncIterator()
            }
        }

        public mutating func next() async throws -> RecordBatch? {
            if plain != nil { return try await plain!.next() }
            if finished { return nil }
            do {
                let batch = try await produce()
                if batch == nil { finished = true }
                return batch
            } catch {
                finished = true
                throw error
            }
        }

        mutating func prepare() throws {
            let ds = scan.dataset
            guard scan.batchSize > 0 else { throw LanceError.invalid("batch size must be positive") }
            guard scan.offset >= 0 else { throw LanceError.invalid("offset must not be negative") }
            if let l = scan.limit, l < 0 { throw LanceError.invalid("limit must not be negative") }
            fields = try ds.resolve(columns: scan.columns)
            let b = try ds.bindFilter(scan.filter ?? "true")
            bound = b
            let refs = b.referencedColumns
            needsAddress = refs.contains(VirtualColumn.rowAddress) && ds.lanceSchema.field(named: VirtualColumn.rowAddress) == nil
            needsRowId = refs.contains(VirtualColumn.rowId) && ds.lanceSchema.field(named: VirtualColumn.rowId) == nil
            filterFields = refs.compactMap { ds.lanceSchema.field(named: $0) }
            prepared = true
        }

        mutating func produce() async throws -> RecordBatch? {
            if !prepared { try prepare() }
            let ds = scan.dataset
            let bound = self.bound!
            while remainingLimit > 0 {
                if current == nil {
                    guard nextFragment < ds.fragments.count else { return nil }
                    let f = ds.fragments[nextFragment]
                    nextFragment += 1
                    if try await ds.liveRows(f) == 0 { continue }
                    let deletions = try await ds.deletionVector(f)
                    let rowIds = (scan.withRowId || needsRowId) ? try await ds.rowIds(f, deletions: deletions) : nil
                    current = Cursor(reader: FragmentReader(dataset: ds, fragment: f), deletions: deletions, rowIds: rowIds)
                }
                let f = current!.reader.fragment
                let start = current!.position
                guard start < f.physicalRows else {
                    current = nil
                    continue
                }
                let end = Swift.min(start + scan.batchSize, f.physicalRows)
                current!.position = end
                let ctx = context(bound)
                let deletions = current!.deletions
                let rowIds = current!.rowIds
                // 1. The filter's columns of the live rows of this range, evaluated.
                guard var chunk = try await ctx.evaluate(reader: &current!.reader, deletions: deletions, rowIds: rowIds,
                                                         start: start, end: end, countOnly: countOnly) else { continue }
                // 2. Offset and limit count matches.
                if countOnly {
                    if chunk.matchCount == 0 { continue }
                    return RecordBatch(emptyWithCount: chunk.matchCount)
                }
                let skip = Swift.min(remainingOffset, chunk.matches.count)
                remainingOffset -= skip
                let n = Swift.min(chunk.matches.count - skip, remainingLimit)
                if n == 0 { continue }
                if skip > 0 || n < chunk.matches.count { chunk.matches = Array(chunk.matches[skip ..< skip + n]) }
                remainingLimit -= n
                // 3. The projected columns of the matching rows only.
                return try await ctx.materialize(chunk, reader: &current!.reader, rowIds: rowIds)
            }
            return nil
        }

        func context(_ bound: BoundExpr) -> ChunkContext {
            ChunkContext(bound: bound, fields: fields, filterFields: filterFields, needsAddress: needsAddress,
                         needsRowId: needsRowId, withRowAddress: scan.withRowAddress, withRowId: scan.withRowId)
        }

        /// Everything the evaluation of one range of physical rows needs (shared by the sequential
        /// iterator and the parallel ``FilteredScan/collect(countOnly:)``).
        struct ChunkContext: Sendable {
            let bound: BoundExpr
            let fields: [LanceField]
            let filterFields: [LanceField]
            let needsAddress: Bool
            let needsRowId: Bool
            let withRowAddress: Bool
            let withRowId: Bool

            /// The filter's columns of one range and the positions (in the range's live rows) that match.
            struct Chunk {
                var fragment: Fragment
                var start: Int
                var live: [Int]?
                var count: Int
                var decoded: [ArrayData]
                var matches: [Int]
                var matchCount: Int
                var selection: RowSelection
                func physical(_ k: Int) -> Int { live?[k] ?? (start + k) }
            }

            /// Reads the filter's columns of the live rows in `start..<end` and evaluates the filter;
            /// nil when no row of the range is live.
            func evaluate(reader: inout FragmentReader, deletions: DeletionVector?, rowIds: [UInt64]?,
                          start: Int, end: Int, countOnly: Bool) async throws -> Chunk? {
                let f = reader.fragment
                var live: [Int]? = nil
                if let dv = deletions {
                    var rows: [Int] = []
                    rows.reserveCapacity(end - start)
                    for p in start ..< end where !dv.isDeleted(p) { rows.append(p) }
                    if rows.isEmpty { return nil }
                    if rows.count != end - start { live = rows }
                }
                let selection: RowSelection = live.map { .rows($0) } ?? .range(start ..< end)
                let count = selection.count
                let decoded = try await reader.decode(filterFields, selection)
                var schemaFields = zip(filterFields, decoded).map { Field($0.name, $1.type, nullable: $0.nullable) }
                var arrays = decoded
                let base = f.id << 32
                func physical(_ k: Int) -> Int { live?[k] ?? (start + k) }
                if needsAddress {
                    schemaFields.append(Field(VirtualColumn.rowAddress, .uint64, nullable: false))
                    arrays.append(.primitive(.uint64, values: (0 ..< count).map { base | UInt64(physical($0)) }))
                }
                if needsRowId {
                    schemaFields.append(Field(VirtualColumn.rowId, .uint64, nullable: false))
                    arrays.append(.primitive(.uint64, values: (0 ..< count).map { rowIds?[physical($0)] ?? (base | UInt64(physical($0))) }))
                }
                let filterBatch = arrays.isEmpty ? RecordBatch(emptyWithCount: count)
                    : try RecordBatch(schema: Schema(schemaFields), columns: arrays)
                var chunk = Chunk(fragment: f, start: start, live: live, count: count, decoded: decoded, matches: [],
                                  matchCount: 0, selection: selection)
                if countOnly {
                    chunk.matchCount = try bound.matchCount(filterBatch)
                } else {
                    chunk.matches = try bound.selection(filterBatch)
                    chunk.matchCount = chunk.matches.count
                }
                return chunk
            }

            /// The projected columns of `chunk.matches` (non-empty): the filter's columns are gathered
            /// in memory, other small fixed-width columns decoded densely and gathered, the rest taken.
            func materialize(_ chunk: Chunk, reader: inout FragmentReader, rowIds: [UInt64]?) async throws -> RecordBatch {
                let matches = chunk.matches
                let n = matches.count
                let base = chunk.fragment.id << 32
                let rows = matches.map(chunk.physical)
                var columns: [ArrayData] = []
                var toRead: [LanceField] = []
                var readSlot: [Int] = []
                var denseFields: [LanceField] = []
                var denseSlot: [Int] = []
                for (k, field) in fields.enumerated() {
                    if let j = filterFields.firstIndex(where: { $0.name == field.name }) {
                        columns.append(Iterator.gather(chunk.decoded[j], matches))
                    } else if Iterator.readDense(field, matches: n, of: chunk.count) {
                        columns.append(.nulls(field.type, count: 0))
                        denseFields.append(field)
                        denseSlot.append(k)
                    } else {
                        columns.append(.nulls(field.type, count: 0))
                        toRead.append(field)
                        readSlot.append(k)
                    }
                }
                if !toRead.isEmpty {
                    let sel: RowSelection = rows.last! - rows[0] + 1 == rows.count ? .range(rows[0] ..< rows[0] + rows.count) : .rows(rows)
                    let more = try await reader.decode(toRead, sel)
                    for (slot, a) in zip(readSlot, more) { columns[slot] = a }
                }
                if !denseFields.isEmpty {
                    let all = try await reader.decode(denseFields, chunk.selection)
                    for (slot, a) in zip(denseSlot, all) { columns[slot] = Iterator.gather(a, matches) }
                }
                var addresses: [UInt64]?
                var ids: [UInt64]?
                if withRowAddress { addresses = rows.map { base | UInt64($0) } }
                if withRowId { ids = rows.map { rowIds?[$0] ?? (base | UInt64($0)) } }
                return try Dataset.assemble(fields: fields, columns: columns, rowAddresses: addresses, rowIds: ids, count: n)
            }
        }

        /// The rows at ascending `indices` of an array: fixed-width columns copy values directly,
        /// other types concatenate runs of slices.
        static func gather(_ a: ArrayData, _ indices: [Int]) -> ArrayData {
            if indices.count == a.count { return a }
            if let w = a.type.byteWidth, a.children.isEmpty, a.buffers.count == 1 {
                let n = indices.count
                let values = Buffer(count: n * w) { out in
                    a.buffers[0].withUnsafeBytes { src in
                        switch w {
                        case 8:
                            for (k, i) in indices.enumerated() {
                                out.storeBytes(of: src.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self), toByteOffset: k * 8, as: UInt64.self)
                            }
                        case 4:
                            for (k, i) in indices.enumerated() {
                                out.storeBytes(of: src.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self), toByteOffset: k * 4, as: UInt32.self)
                            }
                        default:
                            for (k, i) in indices.enumerated() {
                                out.baseAddress!.advanced(by: k * w).copyMemory(from: src.baseAddress!.advanced(by: i * w), byteCount: w)
                            }
                        }
                    }
                }
                let validity = a.validity.map { v in Bitmap(indices.lazy.map { v[$0] }) }
                return ArrayData(type: a.type, count: n, validity: validity, buffers: [values])
            }
            var runs: [ArrayData] = []
            var i = 0
            while i < indices.count {
                var j = i + 1
                while j < indices.count && indices[j] == indices[j - 1] + 1 { j += 1 }
                runs.append(a.slice(indices[i], j - i))
                i = j
            }
            if runs.isEmpty { return a.slice(0, 0) }
            return .concat(runs)
        }

        /// Whether to decode the whole batch range and gather in memory rather than take the rows:
        /// worth it for small fixed-width values once a modest share of the rows match.
        static func readDense(_ field: LanceField, matches: Int, of count: Int) -> Bool {
            guard field.type.byteWidth != nil || field.type == .bool else { return false }
            return matches * 16 >= count
        }
    }
}
