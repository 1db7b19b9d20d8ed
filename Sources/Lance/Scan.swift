import Foundation
import LanceArrow
import LanceCore
import LanceFile
import Synchronization
import LanceIO

/// Names of the virtual columns scans and takes can add.
public enum VirtualColumn {
    public static let rowAddress = "_rowaddr"
    public static let rowId = "_rowid"
}

extension Dataset {
    /// Streams the dataset's rows fragment by fragment, one batch range at a time.
    ///
    /// - Parameters:
    ///   - columns: top-level column names to read (all when nil; none with `[]`).
    ///   - limit, offset: applied across fragments to the live rows, in scan order.
    ///   - withRowAddress: adds `_rowaddr` (uint64, `fragment_id << 32 | physical offset`).
    ///   - withRowId: adds `_rowid` (uint64; the stable row id, or the row address without stable ids).
    ///   - batchSize: physical rows decoded per batch (batches are smaller where rows are deleted).
    /// Errors (an unknown column, a corrupt file) are thrown by the sequence's iterator.
    public func scan(columns: [String]? = nil, limit: Int? = nil, offset: Int = 0, withRowAddress: Bool = false,
                     withRowId: Bool = false, batchSize: Int = 8192) -> DatasetScan {
        DatasetScan(dataset: self, columns: columns, limit: limit, offset: offset, withRowAddress: withRowAddress,
                    withRowId: withRowId, batchSize: batchSize)
    }

    /// Reads the whole scan into one batch.
    public func toBatch(columns: [String]? = nil, limit: Int? = nil, offset: Int = 0, withRowAddress: Bool = false,
                        withRowId: Bool = false) async throws -> RecordBatch {
        var batches: [RecordBatch] = []
        for try await b in scan(columns: columns, limit: limit, offset: offset, withRowAddress: withRowAddress,
                                withRowId: withRowId) {
            batches.append(b)
        }
        if batches.isEmpty {
            let fields = try resolve(columns: columns)
            return try Dataset.assemble(fields: fields, columns: fields.map { .nulls($0.type, count: 0) },
                                        rowAddresses: withRowAddress ? [] : nil, rowIds: withRowId ? [] : nil, count: 0)
        }
        return try RecordBatch.concat(batches)
    }

    /// The top-level fields named by `columns` (all when nil), in the order given.
    func resolve(columns: [String]?) throws -> [LanceField] {
        guard let columns else { return lanceSchema.fields }
        return try columns.map { name in
            guard let f = lanceSchema.field(named: name) else {
                throw LanceError(.invalidInput, "no column named `\(name)` (columns: \(lanceSchema.fields.map(\.name).joined(separator: ", ")))",
                                 column: name)
            }
            return f
        }
    }

    /// Builds an output batch: the fields' columns, then `_rowaddr`, then `_rowid`.
    static func assemble(fields: [LanceField], columns: [ArrayData], rowAddresses: [UInt64]?, rowIds: [UInt64]?,
                         count: Int) throws -> RecordBatch {
        var schemaFields: [Field] = []
        var arrays: [ArrayData] = []
        for (f, c) in zip(fields, columns) {
            // The decoder's type is authoritative (child names can differ in spelling).
            schemaFields.append(Field(f.name, c.type, nullable: f.nullable, metadata: f.metadata))
            arrays.append(c)
        }
        if let rowAddresses {
            schemaFields.append(Field(VirtualColumn.rowAddress, .uint64, nullable: false))
            arrays.append(.primitive(.uint64, values: rowAddresses))
        }
        if let rowIds {
            schemaFields.append(Field(VirtualColumn.rowId, .uint64, nullable: false))
            arrays.append(.primitive(.uint64, values: rowIds))
        }
        if arrays.isEmpty { return RecordBatch(emptyWithCount: count) }
        return try RecordBatch(schema: Schema(schemaFields), columns: arrays)
    }
}

/// Physical rows of one fragment to decode: a contiguous range or ascending rows.
enum RowSelection: Sendable {
    case range(Range<Int>)
    case rows([Int])

    var count: Int {
        switch self {
        case .range(let r): return r.count
        case .rows(let r): return r.count
        }
    }

    func forEach(_ body: (Int) -> Void) {
        switch self {
        case .range(let r): r.forEach(body)
        case .rows(let r): r.forEach(body)
        }
    }
}

/// Opens each data file of a fragment once and decodes selections of its rows.
struct FragmentReader: Sendable {
    let dataset: Dataset
    let fragment: Fragment
    private var readers: [String: LanceFileReader] = [:]

    init(dataset: Dataset, fragment: Fragment) {
        self.dataset = dataset
        self.fragment = fragment
    }

    mutating func reader(for file: DataFileInfo) async throws -> LanceFileReader {
        if let r = readers[file.path] { return r }
        let r: LanceFileReader
        if let cached = dataset.openFiles.get(file.objectPath) {
            r = cached
        } else {
            r = try await LanceFileReader.open(try await dataset.store.open(file.objectPath))
            dataset.openFiles.put(file.objectPath, r)
        }
        guard r.rowCount >= UInt64(fragment.physicalRows) else {
            throw LanceError.corrupt("data file has \(r.rowCount) rows but fragment \(fragment.id) has \(fragment.physicalRows)",
                                     path: r.path)
        }
        readers[file.path] = r
        return r
    }

    /// Decodes `selection` of every field (nulls for a field no data file of the fragment holds).
    mutating func decode(_ fields: [LanceField], _ selection: RowSelection) async throws -> [ArrayData] {
        var out: [ArrayData] = []
        out.reserveCapacity(fields.count)
        for field in fields {
            let holders = fragment.files(holding: field)
            switch holders.count {
            case 0: out.append(.nulls(field.type, count: selection.count))
            case 1: out.append(try await decode(field, from: holders[0], selection))
            default:
                guard case .struct = field.type, !field.children.isEmpty else {
                    // Not a struct: the first file, as before (a writer tombstones a field it moves).
                    out.append(try await decode(field, from: holders[0], selection))
                    continue
                }
                // A struct whose members live in different files (a nested field cast into a new file).
                var parts: [(file: DataFileInfo, array: ArrayData)] = []
                for file in holders { parts.append((file, try await decode(field, from: file, selection))) }
                out.append(try FragmentReader.merge(field, parts))
            }
        }
        return out
    }

    /// Where the raw values of rows `rows` of a fixed-width top-level `field` (e.g. a vector column)
    /// lie: the file, its byte ranges in row order, and the bytes per value; nil when the column is
    /// not stored as plain values in one file (then ``decode(_:_:)`` it).
    mutating func fixedWidthRanges(_ field: LanceField, rows: Range<Int>) async throws
        -> (object: any ReadableObject, ranges: [Range<UInt64>], valueBytes: Int)?
    {
        let holders = fragment.files(holding: field)
        guard holders.count == 1 else { return nil }
        let r = try await reader(for: holders[0])
        guard let (ranges, vb) = try r.fixedWidthRanges(field, columns: holders[0].columnMap, rows: rows) else { return nil }
        return (r.object, ranges, vb)
    }

    private mutating func decode(_ field: LanceField, from file: DataFileInfo, _ selection: RowSelection) async throws -> ArrayData {
        let r = try await reader(for: file)
        let array: ArrayData
        switch selection {
        case .range(let range): array = try await r.read(field, columns: file.columnMap, rows: range)
        case .rows(let rows): array = try await r.take(field, columns: file.columnMap, rows: rows)
        }
        guard array.count == selection.count else {
            throw LanceError(.internal, "decoder returned \(array.count) rows, expected \(selection.count)",
                             path: r.path, column: field.name)
        }
        return array
    }

    /// Puts together a field read from several files, each of which holds some of its members (the
    /// decoder reads members a file lacks as nulls): every member comes from the file holding it,
    /// recursively; the struct's own validity from the file holding the struct's id (2.0), else the first.
    static func merge(_ field: LanceField, _ parts: [(file: DataFileInfo, array: ArrayData)]) throws -> ArrayData {
        guard case .struct = field.type, !field.children.isEmpty else { return parts[0].array }
        let base = parts.first { $0.file.fields.contains(field.id) } ?? parts[0]
        var children: [ArrayData] = []
        for (i, child) in field.children.enumerated() {
            let ids = child.preorder.map(\.id)
            let holding = parts.filter { $0.file.holds(any: ids) }
            guard parts.allSatisfy({ $0.array.children.count == field.children.count }) else {
                throw LanceError(.internal, "decoder returned a struct without \(field.children.count) members", column: field.name)
            }
            switch holding.count {
            case 0: children.append(base.array.children[i])
            case 1: children.append(holding[0].array.children[i])
            default: children.append(try merge(child, holding.map { ($0.file, $0.array.children[i]) }))
            }
        }
        return ArrayData(type: base.array.type, count: base.array.count, validity: base.array.validity, children: children)
    }
}

/// The rows of a dataset as an asynchronous sequence of record batches (see ``Dataset/scan(columns:limit:offset:withRowAddress:withRowId:batchSize:)``).
public struct DatasetScan: AsyncSequence, Sendable {
    public typealias Element = RecordBatch
    let dataset: Dataset
    let columns: [String]?
    let limit: Int?
    let offset: Int
    let withRowAddress: Bool
    let withRowId: Bool
    let batchSize: Int

    init(dataset: Dataset, columns: [String]?, limit: Int?, offset: Int, withRowAddress: Bool, withRowId: Bool, batchSize: Int) {
        self.dataset = dataset
        self.columns = columns
        self.limit = limit
        self.offset = offset
        self.withRowAddress = withRowAddress
        self.withRowId = withRowId
        self.batchSize = batchSize
    }

    public func makeAsyncIterator() -> Iterator { Iterator(scan: self) }

    /// Decodes batches ahead of the consumer on every core (at most one batch per core in flight, in
    /// order); which rows each batch holds — offset, limit, deletions — is decided before its decode starts,
    /// so nothing past the limit is read.
    public struct Iterator: AsyncIteratorProtocol {
        let scan: DatasetScan
        var fields: [LanceField]?
        var nextFragment = 0
        var remainingOffset: Int
        var remainingLimit: Int
        var current: Cursor?
        var planned = false
        var finished = false
        var pending: [Task<RecordBatch, any Error>] = []
        let depth = Swift.max(2, ProcessInfo.processInfo.activeProcessorCount)

        struct Cursor {
            var reader: FragmentReader
            var deletions: DeletionVector?
            var rowIds: [UInt64]?
            var position = 0
        }

        /// One batch to decode: rows `selection` of the cursor's fragment.
        struct Job: Sendable {
            var reader: FragmentReader
            let selection: RowSelection
            let rowIds: [UInt64]?
        }

        init(scan: DatasetScan) {
            self.scan = scan
            remainingOffset = Swift.max(0, scan.offset)
            remainingLimit = scan.limit.map { Swift.max(0, $0) } ?? Int.max
        }

        public mutating func next() async throws -> RecordBatch? {
            if finished { return nil }
            do {
                while pending.count < depth, !planned, let job = try await plan() {
                    let fields = self.fields!, scan = self.scan
                    pending.append(Task { try await Iterator.run(job, fields: fields, scan: scan) })
                }
                guard !pending.isEmpty else {
                    finished = true
                    return nil
                }
                return try await pending.removeFirst().value
            } catch {
                finished = true
                for t in pending { t.cancel() }
                pending = []
                throw error
            }
        }

        /// Decodes a job and assembles its batch.
        static func run(_ job: Job, fields: [LanceField], scan: DatasetScan) async throws -> RecordBatch {
            var reader = job.reader
            let selection = job.selection
            let columns = try await reader.decode(fields, selection)
            var addresses: [UInt64]?
            var ids: [UInt64]?
            if scan.withRowAddress || scan.withRowId {
                var a: [UInt64] = []
                a.reserveCapacity(selection.count)
                let base = reader.fragment.id << 32
                selection.forEach { a.append(base | UInt64($0)) }
                if scan.withRowAddress { addresses = a }
                if scan.withRowId {
                    if let rowIds = job.rowIds {
                        var r: [UInt64] = []
                        r.reserveCapacity(selection.count)
                        selection.forEach { r.append(rowIds[$0]) }
                        ids = r
                    } else {
                        ids = a
                    }
                }
            }
            return try Dataset.assemble(fields: fields, columns: columns, rowAddresses: addresses, rowIds: ids,
                                        count: selection.count)
        }

        /// The next batch's rows, or nil when the scan has none left (sets `planned`).
        mutating func plan() async throws -> Job? {
            let ds = scan.dataset
            if fields == nil {
                guard scan.batchSize > 0 else { throw LanceError.invalid("batch size must be positive") }
                guard scan.offset >= 0 else { throw LanceError.invalid("offset must not be negative") }
                if let l = scan.limit, l < 0 { throw LanceError.invalid("limit must not be negative") }
                fields = try ds.resolve(columns: scan.columns)
            }
            let fields = self.fields!
            while remainingLimit > 0 {
                if current == nil {
                    guard nextFragment < ds.fragments.count else { break }
                    let f = ds.fragments[nextFragment]
                    nextFragment += 1
                    let live = try await ds.liveRows(f)
                    if live == 0 { continue }
                    if remainingOffset >= live {
                        remainingOffset -= live
                        continue
                    }
                    let deletions = try await ds.deletionVector(f)
                    let rowIds = scan.withRowId ? try await ds.rowIds(f, deletions: deletions) : nil
                    var reader = FragmentReader(dataset: ds, fragment: f)
                    // Open the files once here, so the concurrent decodes share the readers.
                    for field in fields {
                        for file in f.files(holding: field) { _ = try await reader.reader(for: file) }
                    }
                    current = Cursor(reader: reader, deletions: deletions, rowIds: rowIds)
                }
                let f = current!.reader.fragment
                let start = current!.position
                guard start < f.physicalRows else {
                    current = nil
                    continue
                }
                let end = Swift.min(start + scan.batchSize, f.physicalRows)
                current!.position = end
                let selection: RowSelection
                if let dv = current!.deletions {
                    var rows: [Int] = []
                    rows.reserveCapacity(end - start)
                    for p in start ..< end where !dv.isDeleted(p) { rows.append(p) }
                    let skip = Swift.min(remainingOffset, rows.count)
                    remainingOffset -= skip
                    let n = Swift.min(rows.count - skip, remainingLimit)
                    if n == 0 { continue }
                    let chosen = Array(rows[skip ..< skip + n])
                    if chosen.last! - chosen[0] + 1 == chosen.count {
                        selection = .range(chosen[0] ..< chosen[0] + chosen.count)
                    } else {
                        selection = .rows(chosen)
                    }
                } else {
                    let skip = Swift.min(remainingOffset, end - start)
                    remainingOffset -= skip
                    let n = Swift.min(end - start - skip, remainingLimit)
                    if n == 0 { continue }
                    selection = .range(start + skip ..< start + skip + n)
                }
                remainingLimit -= selection.count
                return Job(reader: current!.reader, selection: selection, rowIds: current!.rowIds)
            }
            planned = true
            return nil
        }
    }
}

/// Data files a dataset object has opened, kept for later scans and takes (data files never change,
/// so a reader — its footer, column metadata and parsed page layouts — stays valid). Bounded: past
/// `capacity` files, the least recently used one is dropped.
final class OpenFileCache: Sendable {
    private struct State {
        var readers: [String: (reader: LanceFileReader, used: UInt64)] = [:]
        var clock: UInt64 = 0
    }
    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 64) { self.capacity = capacity }

    func get(_ path: String) -> LanceFileReader? {
        state.withLock { s in
            guard let e = s.readers[path] else { return nil }
            s.clock += 1
            s.readers[path] = (e.reader, s.clock)
            return e.reader
        }
    }

    func put(_ path: String, _ reader: LanceFileReader) {
        state.withLock { s in
            s.clock += 1
            s.readers[path] = (reader, s.clock)
            if s.readers.count > capacity, let oldest = s.readers.min(by: { $0.value.used < $1.value.used })?.key {
                s.readers[oldest] = nil
            }
        }
    }
}
