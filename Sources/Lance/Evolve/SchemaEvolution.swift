import Foundation
import LanceArrow
import LanceCore
import LanceExpr
import LanceFile
import LanceIO
import LanceProto

/// One change of ``Dataset/alterColumns(_:)``: rename, make nullable, or cast a column.
public struct ColumnAlteration: Sendable, Hashable {
    /// The column, `a.b` for a nested field.
    public var path: String
    public var rename: String?
    /// `true` makes the column nullable; `false` is accepted only for a column that is not nullable.
    public var nullable: Bool?
    /// Cast to this type (rewrites the column into new data files).
    public var dataType: DataType?

    public init(_ path: String, rename: String? = nil, nullable: Bool? = nil, dataType: DataType? = nil) {
        self.path = path
        self.rename = rename
        self.nullable = nullable
        self.dataType = dataType
    }
}

extension Dataset {
    // MARK: - Drop

    /// Removes columns (top-level or `a.b` nested) from the schema in a new version. Metadata only:
    /// the data stays in the files until they are rewritten. Indices on a dropped column are dropped.
    public func dropColumns(_ names: [String]) async throws -> Dataset {
        var fields = manifest.fields
        for name in names {
            guard let f = field(path: name) else {
                throw LanceError(.invalidInput, "column `\(name)` does not exist in the dataset", column: name)
            }
            let gone = Set(f.preorder.map(\.id))
            fields.removeAll { gone.contains($0.id) }
        }
        guard fields.contains(where: { $0.parentID == -1 }) else {
            throw LanceError.invalid("cannot drop every column of a dataset")
        }
        return try await Committer.commit(store: store, uri: uri, readVersion: version, operation: .project(schema: fields))
    }

    // MARK: - Alter

    /// Renames columns, makes them nullable, or casts them (integer ↔ integer, float ↔ float,
    /// string ↔ large string, binary ↔ large binary; a value that does not fit is an error). Renames and
    /// nullability are metadata only; a cast writes the column again into a new data file per fragment
    /// under a new field id. A nested field (`s.a`, inside structs) is cast the way the reference does
    /// it in 2.1+ files: only the cast members are written, under the structs' ids, and the struct is
    /// read back from both files. In 2.0 files, whose readers take a struct from one file, the whole
    /// top-level struct is written again and its ids are tombstoned in the older files.
    public func alterColumns(_ alterations: [ColumnAlteration]) async throws -> Dataset {
        var fields = manifest.fields
        var nextId = maxFieldIdInUse() + 1
        var castIds: [Int32: Int32] = [:]  // new leaf id → old leaf id
        for a in alterations {
            guard let f = field(path: a.path) else {
                throw LanceError(.invalidInput, "column `\(a.path)` does not exist in the dataset", column: a.path)
            }
            guard let k = fields.firstIndex(where: { $0.id == f.id }) else {
                throw LanceError(.invalidInput, "column `\(a.path)` was already replaced by an earlier alteration", column: a.path)
            }
            if let n = a.nullable, !n, f.nullable {
                throw LanceError(.invalidInput, "column `\(a.path)` is nullable and cannot be made non-nullable", column: a.path)
            }
            if let r = a.rename {
                guard !r.isEmpty else { throw LanceError(.invalidInput, "a column name cannot be empty", column: a.path) }
                let parent = fields[k].parentID
                if fields.contains(where: { $0.parentID == parent && $0.name == r && $0.id != f.id }) {
                    throw LanceError(.invalidInput, "cannot rename `\(a.path)` to `\(r)`: that name is taken", column: a.path)
                }
                fields[k].name = r
            }
            if let n = a.nullable { fields[k].nullable = n }
            if let t = a.dataType, t != f.type {
                guard ColumnCast.allowed(from: f.type, to: t) else {
                    throw LanceError(.invalidInput, "cannot cast column `\(a.path)` from \(f.type) to \(t)", column: a.path)
                }
                var parent = fields[k].parentID
                while parent != -1, let p = fields.first(where: { $0.id == parent }) {
                    guard p.logicalType == "struct" else {
                        throw LanceError(.unsupported, "casting `\(a.path)` is not implemented: it is inside a list, not only inside structs",
                                         column: a.path)
                    }
                    parent = p.parentID
                }
                let arrow = Field(fields[k].name, t, nullable: fields[k].nullable, metadata: f.metadata)
                let replacement = LanceSchema(assigningIdsTo: Schema([arrow]), firstId: nextId)
                nextId = replacement.maxFieldId + 1
                var protos = replacement.protoFields()
                protos[0].parentID = fields[k].parentID
                let gone = Set(f.preorder.map(\.id))
                fields.removeAll { gone.contains($0.id) }
                fields.insert(contentsOf: protos, at: k)
                castIds[replacement.fields[0].id] = f.id
            }
        }
        // Validate the result the way a reader will see it.
        let altered = try LanceSchema(protoFields: fields, metadata: manifest.schemaMetadata)
        if castIds.isEmpty {
            return try await Committer.commit(store: store, uri: uri, readVersion: version, operation: .project(schema: fields))
        }
        // The new file holds the cast columns in schema order: a top-level column whole; a struct
        // pruned to the paths of its cast members (2.1+) or whole (2.0).
        let wholeStructs = try fileVersionForWrites() == .v2_0
        var written: [LanceField] = [], read: [LanceField] = []
        var tombstoned = Set<Int32>()
        let oldIds = Set(castIds.values)
        for top in altered.fields {
            guard let newTop = CastPlan.prune(top, keeping: { castIds[$0] != nil }) else { continue }
            let oldId = castIds[top.id] ?? top.id
            guard let old = lanceSchema.fields.first(where: { $0.id == oldId }),
                  let oldTop = CastPlan.prune(old, keeping: { oldIds.contains($0) }) else {
                throw LanceError(.internal, "the cast column `\(top.name)` has no counterpart in the current schema", column: top.name)
            }
            if wholeStructs, !top.children.isEmpty {
                written.append(top)
                read.append(old)
                tombstoned.formUnion(old.preorder.map(\.id))
            } else {
                written.append(newTop)
                read.append(oldTop)
            }
        }
        let plans = zip(read, written).map { CastPlan(old: $0, new: $1) }
        let frags = try await attachColumns(newFields: LanceSchema(fields: written), reading: read, batchSize: 8192) { batch in
            try zip(plans, batch.columns).map { plan, column in try plan.convert(column) }
        }
        let ids = Set(fields.map(\.id))
        let kept = frags.map { f -> Lance_Table_DataFragment in
            var f = f
            for i in f.files.indices.dropLast() {
                f.files[i].fields = f.files[i].fields.map { tombstoned.contains($0) ? -2 : $0 }
            }
            f.files.removeAll { !$0.fields.contains(where: { ids.contains($0) }) }
            return f
        }
        return try await Committer.commit(store: store, uri: uri, readVersion: version,
                                          operation: .merge(fragments: kept, schema: fields))
    }

    // MARK: - Add

    /// Adds all-null columns (metadata only: no data file is written; readers see nulls).
    public func addColumns(nulls newFields: [Field]) async throws -> Dataset {
        let (protos, _) = try newFieldProtos(newFields.map { Field($0.name, $0.type, nullable: true, metadata: $0.metadata) })
        return try await Committer.commit(store: store, uri: uri, readVersion: version,
                                          operation: .merge(fragments: manifest.fragments, schema: manifest.fields + protos))
    }

    /// Adds columns computed by `transform` from batches of the columns named in `reading` (only
    /// those are read). `transform` gets every physical row of each fragment, in batches of at most
    /// `batchSize` rows (deleted rows included: their values are never read back), and returns the
    /// new columns in the order and types of `newFields`, one value per input row.
    /// The values are written to one new data file per fragment; existing files are not rewritten.
    public func addColumns(_ newFields: [Field], reading: [String], batchSize: Int = 8192,
                           transform: @escaping @Sendable (RecordBatch) async throws -> [ArrayData]) async throws -> Dataset {
        guard batchSize > 0 else { throw LanceError.invalid("batch size must be positive") }
        let (protos, schema) = try newFieldProtos(newFields)
        let read = try resolve(columns: reading)
        let (frags, syncs) = try await attachColumnsDeferringSync(newFields: schema, reading: read, batchSize: batchSize,
                                                                  transform: transform)
        return try await Committer.commit(store: store, uri: uri, readVersion: version,
                                          operation: .merge(fragments: frags, schema: manifest.fields + protos),
                                          beforePublish: { try await syncs.wait() })
    }

    /// Adds columns from SQL expressions over the existing columns, e.g.
    /// `[("aspect_ratio", "CAST(width AS DOUBLE) / CAST(height AS DOUBLE)")]`. Each column's type is
    /// its expression's type; only the columns the expressions reference are read.
    /// Fragments of up to `batchSize` rows (the default, 1 Mi rows, covers a typical fragment) are
    /// read and evaluated in one batch, so the new file's pages are encoded without concatenation.
    public func addColumns(sql columns: [(name: String, expression: String)], batchSize: Int = 1 << 20) async throws -> Dataset {
        guard !columns.isEmpty else { throw LanceError.invalid("no columns to add") }
        let arrow = schema
        let bound = try columns.map { c in try BoundExpr(c.expression, schema: arrow) }
        var reading: [String] = []
        for b in bound {
            for name in b.referencedColumns where !reading.contains(name) { reading.append(name) }
        }
        let newFields = zip(columns, bound).map { c, b in
            Field(c.name, b.resultType == .null ? .int32 : b.resultType, nullable: Dataset.mayBeNull(b, schema: arrow))
        }
        let types = newFields.map(\.type)
        return try await addColumns(newFields, reading: reading, batchSize: batchSize) { batch in
            try zip(bound, types).map { b, t in
                let v = try b.evaluate(batch)
                return v.type == t ? v : .nulls(t, count: batch.count)
            }
        }
    }

    // MARK: - Support

    /// Whether an expression's result may be null, the way the reference derives it: a result is
    /// non-nullable when every column it reads is, and nothing in it (NULL, CASE, NULLIF, a regexp
    /// match, an index) can make a null of its own.
    static func mayBeNull(_ b: BoundExpr, schema: Schema) -> Bool {
        for name in b.referencedColumns {
            guard let k = schema.index(of: name), !schema.fields[k].nullable else { return true }
        }
        let text = b.expr.text.lowercased()
        for marker in ["null", "case", "regexp", "[", "try_cast", "array_element"] where text.contains(marker) { return true }
        return false
    }

    /// The field at a dotted path (`a.b`), or nil.
    func field(path: String) -> LanceField? {
        if let f = lanceSchema.field(named: path) { return f }
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1, var f = lanceSchema.field(named: parts[0]) else { return nil }
        for p in parts.dropFirst() {
            guard let c = f.children.first(where: { $0.name == p }) else { return nil }
            f = c
        }
        return f
    }

    /// The largest field id in the schema or in any data file (ids of dropped fields are never reused).
    func maxFieldIdInUse() -> Int32 {
        var mx = lanceSchema.maxFieldId
        for f in manifest.fields { mx = max(mx, f.id) }
        for frag in manifest.fragments {
            for d in frag.files { if let m = d.fields.max() { mx = max(mx, m) } }
        }
        return mx
    }

    /// Proto fields (and their Lance schema) for new top-level columns, numbered after every id in use.
    /// Throws `invalidInput` for an empty or duplicate name or one the dataset already has.
    func newFieldProtos(_ newFields: [Field]) throws -> ([Lance_File_Field], LanceSchema) {
        guard !newFields.isEmpty else { throw LanceError.invalid("no columns to add") }
        var seen = Set(lanceSchema.fields.map(\.name))
        for f in newFields {
            guard !f.name.isEmpty else { throw LanceError.invalid("a column name cannot be empty") }
            guard seen.insert(f.name).inserted else {
                throw LanceError(.invalidInput, "column `\(f.name)` already exists in the dataset", column: f.name)
            }
        }
        let s = LanceSchema(assigningIdsTo: Schema(newFields), firstId: maxFieldIdInUse() + 1)
        return (s.protoFields(), s)
    }

    /// For every fragment, reads `reading` over all physical rows, maps each batch through
    /// `transform` and writes the results into one new data file holding `newFields`; returns the
    /// fragments with that file attached.
    func attachColumns(newFields: LanceSchema, reading: [LanceField], batchSize: Int,
                       transform: @Sendable (RecordBatch) async throws -> [ArrayData]) async throws -> [Lance_Table_DataFragment] {
        let (frags, syncs) = try await attachColumnsDeferringSync(newFields: newFields, reading: reading, batchSize: batchSize,
                                                                  transform: transform)
        try await syncs.wait()
        return frags
    }

    /// ``attachColumns(newFields:reading:batchSize:transform:)`` whose data files are made durable
    /// in the background: the caller must wait for `syncs` before publishing a manifest naming them
    /// (``Committer/commit`` does it through `beforePublish`, overlapping the syncs with its own work).
    func attachColumnsDeferringSync(newFields: LanceSchema, reading: [LanceField], batchSize: Int,
                                    transform: @Sendable (RecordBatch) async throws -> [ArrayData]) async throws
        -> ([Lance_Table_DataFragment], BackgroundSyncs)
    {
        var syncs = BackgroundSyncs()
        do {
            let frags = try await attachColumnsUnsynced(newFields: newFields, reading: reading, batchSize: batchSize,
                                                        syncs: &syncs, transform: transform)
            return (frags, syncs)
        } catch {
            try? await syncs.wait()
            throw error
        }
    }

    private func attachColumnsUnsynced(newFields: LanceSchema, reading: [LanceField], batchSize: Int, syncs: inout BackgroundSyncs,
                                       transform: @Sendable (RecordBatch) async throws -> [ArrayData]) async throws
        -> [Lance_Table_DataFragment]
    {
        let fileVersion = try fileVersionForWrites()
        var out: [Lance_Table_DataFragment] = []
        for (fi, frag) in fragments.enumerated() {
            var proto = manifest.fragments[fi]
            var reader = FragmentReader(dataset: self, fragment: frag)
            let path = Dataset.newDataFileName()
            let writer = try LanceFileWriter(object: try await Dataset.dataSink(store: store, path: "data/" + path),
                                             schema: newFields, version: fileVersion)
            var start = 0
            while start < frag.physicalRows {
                let n = min(batchSize, frag.physicalRows - start)
                let columns = try await reader.decode(reading, .range(start ..< start + n))
                let input = try Dataset.assemble(fields: reading, columns: columns, rowAddresses: nil, rowIds: nil, count: n)
                let produced = try await transform(input)
                guard produced.count == newFields.fields.count else {
                    throw LanceError.invalid("the column function returned \(produced.count) columns, expected \(newFields.fields.count)")
                }
                for (f, c) in zip(newFields.fields, produced) {
                    guard c.count == n else {
                        throw LanceError(.invalidInput, "the column function returned \(c.count) rows for a batch of \(n)", column: f.name)
                    }
                    guard c.type == f.type else {
                        throw LanceError(.invalidInput, "the column function returned type \(c.type), declared \(f.type)", column: f.name)
                    }
                }
                let batch = try RecordBatch(schema: newFields.arrowSchema, columns: produced)
                try await writer.write(batch)
                start += n
            }
            let summary = try await writer.finish()
            syncs.start(store: store, path: "data/" + path)
            var d = Lance_Table_DataFile()
            d.path = path
            d.fields = summary.fieldIds
            d.columnIndices = summary.columnIndices
            d.fileMajorVersion = fileVersion.major
            d.fileMinorVersion = fileVersion.minor
            d.fileSizeBytes = summary.size
            proto.files.append(d)
            out.append(proto)
        }
        return out
    }
}

/// One column of a cast in ``Dataset/alterColumns(_:)``: the column as read (old ids and types)
/// and as written (new ids for the cast members), with the same shape.
struct CastPlan: Sendable {
    let old: LanceField
    let new: LanceField

    /// `f` with only the members whose subtree has an id `keeping` accepts (`f` itself when it is
    /// such a leaf), the struct types narrowed to match; nil when nothing is kept.
    static func prune(_ f: LanceField, keeping: (Int32) -> Bool) -> LanceField? {
        if f.children.isEmpty { return keeping(f.id) ? f : nil }
        guard case .struct = f.type else { return f.preorder.contains { keeping($0.id) } ? f : nil }
        let kids = f.children.compactMap { prune($0, keeping: keeping) }
        if kids.isEmpty { return nil }
        var out = f
        out.children = kids
        out.type = .struct(kids.map(\.arrowField))
        return out
    }

    func convert(_ column: ArrayData) throws -> ArrayData {
        try CastPlan.convert(column, from: old, to: new, path: new.name, parentValidity: nil)
    }

    private static func convert(_ a: ArrayData, from old: LanceField, to new: LanceField, path: String,
                                parentValidity: Bitmap?) throws -> ArrayData {
        guard case .struct = new.type, !new.children.isEmpty else {
            if a.type == new.type { return a }
            // Rows where an enclosing struct is null hold no value: mask them so they cannot fail the cast.
            let input = parentValidity.map {
                ArrayData(type: a.type, count: a.count, validity: CastPlan.and($0, a.validity), buffers: a.buffers,
                          children: a.children, dictionary: a.dictionary, boolOffset: a.boolOffset)
            } ?? a
            return try ColumnCast.cast(input, to: new.type, column: path)
        }
        guard a.children.count == new.children.count, old.children.count == new.children.count else {
            throw LanceError(.internal, "struct `\(path)` was read with \(a.children.count) members, expected \(new.children.count)",
                             column: path)
        }
        let validity = a.validity.map { v in parentValidity.map { CastPlan.and($0, v) } ?? v } ?? parentValidity
        var kids: [ArrayData] = []
        for i in new.children.indices {
            kids.append(try convert(a.children[i], from: old.children[i], to: new.children[i],
                                    path: path + "." + new.children[i].name, parentValidity: validity))
        }
        return ArrayData(type: new.type, count: a.count, validity: a.validity, children: kids)
    }

    private static func and(_ a: Bitmap, _ b: Bitmap?) -> Bitmap {
        guard let b else { return a }
        return Bitmap((0 ..< a.count).map { a[$0] && b[$0] })
    }
}

/// The casts ``Dataset/alterColumns(_:)`` allows, checked (a value that does not fit is an error).
enum ColumnCast {
    static func allowed(from a: DataType, to b: DataType) -> Bool {
        if a.isInteger && b.isInteger { return true }
        let floats: Set<DataType> = [.float32, .float64]
        if floats.contains(a) && floats.contains(b) { return true }
        if a.isString && b.isString { return true }
        if (a == .binary || a == .largeBinary) && (b == .binary || b == .largeBinary) { return true }
        return false
    }

    static func cast(_ c: ArrayData, to t: DataType, column: String) throws -> ArrayData {
        if c.type == t { return c }
        if c.type.isInteger && t.isInteger {
            var values: [Int64] = []
            var uvalues: [UInt64] = []
            let n = c.count
            let srcSigned = c.type.isSignedInteger
            for i in 0 ..< n {
                if srcSigned {
                    let v: Int64
                    switch c.type {
                    case .int8: v = Int64(c.value(i, as: Int8.self))
                    case .int16: v = Int64(c.value(i, as: Int16.self))
                    case .int32: v = Int64(c.value(i, as: Int32.self))
                    default: v = c.value(i, as: Int64.self)
                    }
                    values.append(v)
                } else {
                    let v: UInt64
                    switch c.type {
                    case .uint8: v = UInt64(c.value(i, as: UInt8.self))
                    case .uint16: v = UInt64(c.value(i, as: UInt16.self))
                    case .uint32: v = UInt64(c.value(i, as: UInt32.self))
                    default: v = c.value(i, as: UInt64.self)
                    }
                    uvalues.append(v)
                }
            }
            func fits(_ i: Int) -> (Int64?, UInt64?) {
                srcSigned ? (values[i], values[i] >= 0 ? UInt64(values[i]) : nil)
                    : (uvalues[i] <= UInt64(Int64.max) ? Int64(uvalues[i]) : nil, uvalues[i])
            }
            func out<T: BinaryInteger & BitwiseCopyable>(_: T.Type) throws -> ArrayData {
                var r: [T] = []
                r.reserveCapacity(n)
                for i in 0 ..< n {
                    if c.isNull(i) { r.append(0); continue }
                    let (s, u) = fits(i)
                    if let s, let v = T(exactly: s) { r.append(v) } else if let u, let v = T(exactly: u) { r.append(v) } else {
                        throw LanceError(.invalidInput, "value at row \(i) does not fit \(t)", column: column)
                    }
                }
                return ArrayData(type: t, count: n, validity: c.validity, buffers: [Buffer(values: r)])
            }
            switch t {
            case .int8: return try out(Int8.self)
            case .int16: return try out(Int16.self)
            case .int32: return try out(Int32.self)
            case .int64: return try out(Int64.self)
            case .uint8: return try out(UInt8.self)
            case .uint16: return try out(UInt16.self)
            case .uint32: return try out(UInt32.self)
            default: return try out(UInt64.self)
            }
        }
        if c.type == .float64 && t == .float32 {
            var r: [Float] = []
            r.reserveCapacity(c.count)
            for i in 0 ..< c.count {
                let d = c.value(i, as: Double.self)
                let f = Float(d)
                if !c.isNull(i), d.isFinite, !f.isFinite {
                    throw LanceError(.invalidInput, "value \(d) at row \(i) does not fit float", column: column)
                }
                r.append(f)
            }
            return ArrayData(type: t, count: c.count, validity: c.validity, buffers: [Buffer(values: r)])
        }
        if c.type == .float32 && t == .float64 {
            let r = (0 ..< c.count).map { Double(c.value($0, as: Float.self)) }
            return ArrayData(type: t, count: c.count, validity: c.validity, buffers: [Buffer(values: r)])
        }
        if c.type.isBinaryLike && t.isBinaryLike {
            // Same bytes, other offset width.
            let g = c.gather(Array(0 ..< c.count))
            var offsets: [Int64] = []
            offsets.reserveCapacity(c.count + 1)
            for i in 0 ... c.count {
                offsets.append(g.type.hasLargeOffsets ? g.buffers[0].load(Int64.self, at: i) : Int64(g.buffers[0].load(Int32.self, at: i)))
            }
            if !t.hasLargeOffsets, let last = offsets.last, last > Int64(Int32.max) {
                throw LanceError(.invalidInput, "the column's data exceeds 2 GiB and needs 64-bit offsets", column: column)
            }
            let ob = t.hasLargeOffsets ? Buffer(values: offsets) : Buffer(values: offsets.map { Int32($0) })
            return ArrayData(type: t, count: c.count, validity: g.validity, buffers: [ob, g.buffers[1]])
        }
        throw LanceError(.invalidInput, "cannot cast column `\(column)` from \(c.type) to \(t)", column: column)
    }
}

/// fsyncs of new data files running on a background thread while the caller goes on.
struct BackgroundSyncs: Sendable {
    private var tasks: [Task<Void, Error>] = []

    /// Starts making `path` durable (a no-op for stores other than ``LocalStore``).
    mutating func start(store: any ObjectStore, path: String) {
        guard store is LocalStore else { return }
        tasks.append(Task {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
                // A blocking fsync: off the cooperative pool.
                DispatchQueue.global().async {
                    do {
                        try Dataset.syncIfLocal(store: store, path: path)
                        c.resume()
                    } catch {
                        c.resume(throwing: error)
                    }
                }
            }
        })
    }

    /// Waits for every sync; throws the first failure.
    func wait() async throws {
        var failure: Error?
        for t in tasks {
            do { try await t.value } catch { if failure == nil { failure = error } }
        }
        if let failure { throw failure }
    }
}
