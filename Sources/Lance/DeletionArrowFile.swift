import LanceArrow
import LanceCore

/// Reads the `row_id` column of an Arrow IPC deletion file (`_deletions/*.arrow`): an IPC file
/// with one non-null uint32 column (pylance compresses the body with ZSTD).
enum DeletionArrowFile {
    static func rows(_ buffer: Buffer, path: String) throws -> [UInt32] {
        do {
            let reader = try ArrowIPCFileReader(buffer)
            let fields = reader.schema.fields
            guard let k = reader.schema.index(of: "row_id") ?? (fields.count == 1 ? 0 : nil) else {
                throw LanceError.corrupt("deletion file has no `row_id` column (columns: \(reader.schema.names))")
            }
            var rows: [UInt32] = []
            for b in 0 ..< reader.recordBatchCount {
                let column = try reader.recordBatch(at: b).columns[k]
                guard column.nullCount == 0 else { throw LanceError.corrupt("deletion file `row_id` column has nulls") }
                rows.reserveCapacity(rows.count + column.count)
                switch column.type {
                case .uint32, .int32:
                    for i in 0 ..< column.count { rows.append(column.value(i, as: UInt32.self)) }
                case .uint64, .int64:
                    for i in 0 ..< column.count {
                        let v = column.value(i, as: UInt64.self)
                        guard v <= UInt64(UInt32.max) else { throw LanceError.corrupt("deletion file row id \(v) exceeds 32 bits") }
                        rows.append(UInt32(v))
                    }
                default:
                    throw LanceError.corrupt("deletion file `row_id` column has type \(column.type), expected uint32")
                }
            }
            return rows
        } catch let e as LanceError {
            throw e.at(path: path)
        }
    }
}
