import LanceArrow
import LanceCore
import LanceFile
import LanceProto

/// Looks up rows by the value of a key column (integer, string or binary).
struct KeyIndex: Sendable {
    private var ints: [Int64: Int] = [:]
    private var bytes: [[UInt8]: Int] = [:]
    let type: DataType
    /// Rows whose key occurs more than once (first such key), for error messages.
    private(set) var duplicate: String?

    static func supports(_ t: DataType) -> Bool { t.isInteger || t.isBinaryLike }

    /// Indexes the non-null keys of `column` (row k maps to k).
    init(_ column: ArrayData) {
        type = column.type
        if column.type.isInteger {
            ints.reserveCapacity(column.count)
            for i in 0 ..< column.count where !column.isNull(i) {
                let k = KeyIndex.intKey(column, i)
                if ints.updateValue(i, forKey: k) != nil, duplicate == nil { duplicate = KeyIndex.describe(column, i) }
            }
        } else {
            for i in 0 ..< column.count where !column.isNull(i) {
                if bytes.updateValue(i, forKey: column.bytes(i)) != nil, duplicate == nil {
                    duplicate = KeyIndex.describe(column, i)
                }
            }
        }
    }

    @inline(__always) static func intKey(_ c: ArrayData, _ i: Int) -> Int64 {
        switch c.type {
        case .int8: return Int64(c.value(i, as: Int8.self))
        case .int16: return Int64(c.value(i, as: Int16.self))
        case .int32: return Int64(c.value(i, as: Int32.self))
        case .uint8: return Int64(c.value(i, as: UInt8.self))
        case .uint16: return Int64(c.value(i, as: UInt16.self))
        case .uint32: return Int64(c.value(i, as: UInt32.self))
        default: return c.value(i, as: Int64.self)
        }
    }

    static func describe(_ c: ArrayData, _ i: Int) -> String {
        if c.type.isInteger {
            if c.type == .uint64 { return String(c.value(i, as: UInt64.self)) }
            return String(intKey(c, i))
        }
        if c.type.isString { return "'" + (c.string(i) ?? "") + "'" }
        return "0x" + c.bytes(i).map { String($0, radix: 16) }.joined()
    }

    /// For each row of `column` (of the same type), the matching indexed row or -1.
    func lookup(_ column: ArrayData) -> [Int] {
        var out = [Int](repeating: -1, count: column.count)
        if type.isInteger {
            if column.type == .int64, column.validity == nil {
                column.buffers[0].withUnsafeBytes { raw in
                    let p = raw.bindMemory(to: Int64.self)
                    for i in 0 ..< column.count { out[i] = ints[p[i]] ?? -1 }
                }
                return out
            }
            for i in 0 ..< column.count where !column.isNull(i) { out[i] = ints[KeyIndex.intKey(column, i)] ?? -1 }
        } else {
            for i in 0 ..< column.count where !column.isNull(i) { out[i] = bytes[column.bytes(i)] ?? -1 }
        }
        return out
    }
}

extension Dataset {
    /// Joins the columns of `batches` onto this dataset by `key` (left join): each row of the
    /// dataset gets the values of the row of `batches` with the same key, or nulls when none has it.
    /// The new columns go into one new data file per fragment; existing files are not rewritten.
    ///
    /// Throws `invalidInput` (and commits nothing) when `key` is missing on either side, the key
    /// types differ, a key occurs twice in `batches`, or a non-key column already exists.
    public func merge(_ batches: [RecordBatch], on key: String, batchSize: Int = 65536) async throws -> Dataset {
        guard let first = batches.first else { throw LanceError.invalid("merge needs at least one batch") }
        let source = batches.count == 1 ? first : try RecordBatch.concat(batches)
        guard let keyField = lanceSchema.field(named: key) else {
            throw LanceError(.invalidInput, "the dataset has no key column `\(key)`", column: key)
        }
        guard let keyIndex = source.schema.index(of: key) else {
            throw LanceError(.invalidInput, "the data to merge has no key column `\(key)`", column: key)
        }
        let sourceKey = source.columns[keyIndex]
        guard sourceKey.type == keyField.type else {
            throw LanceError(.invalidInput, "key `\(key)` is \(keyField.type) in the dataset but \(sourceKey.type) in the data to merge",
                             column: key)
        }
        guard KeyIndex.supports(keyField.type) else {
            throw LanceError(.unsupported, "merging on a \(keyField.type) key is not supported (use an integer or string key)", column: key)
        }
        var newFields: [Field] = []
        var newColumns: [ArrayData] = []
        for (k, f) in source.schema.fields.enumerated() where k != keyIndex {
            newFields.append(Field(f.name, f.type, nullable: true, metadata: f.metadata))
            newColumns.append(source.columns[k])
        }
        guard !newFields.isEmpty else { throw LanceError.invalid("the data to merge has no column besides the key") }
        let index = KeyIndex(sourceKey)
        if let dup = index.duplicate {
            throw LanceError(.invalidInput, "key \(dup) occurs more than once in the data to merge", column: key)
        }
        let (protos, schema) = try newFieldProtos(newFields)
        let columns = newColumns
        let (frags, syncs) = try await attachColumnsDeferringSync(newFields: schema, reading: [keyField], batchSize: batchSize) { batch in
            let rows = index.lookup(batch.columns[0])
            return columns.map { $0.gather(rows) }
        }
        return try await Committer.commit(store: store, uri: uri, readVersion: version,
                                          operation: .merge(fragments: frags, schema: manifest.fields + protos),
                                          beforePublish: { try await syncs.wait() })
    }
}
