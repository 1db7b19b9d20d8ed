import LanceArrow
import LanceCore

/// Builds dictionary arrays from decoded values.
enum DictionaryIndices {
    /// A dictionary array of `type` for `values` (one per row): the distinct values once each, in
    /// order of first appearance, and each row's index. Throws when even the distinct values are more
    /// than the index type addresses.
    static func distinct(_ values: ArrayData, type: DataType, index: DataType, validity: Bitmap?) throws -> ArrayData {
        let n = values.count
        guard let w = index.byteWidth else { throw LanceError.unsupported("dictionary index type \(index)") }
        var keys: [[UInt8]: Int] = [:]
        var firsts: [Int] = []
        var idx = [Int](repeating: 0, count: n)
        let fixed = values.type.byteWidth
        for i in 0 ..< n {
            if let v = validity, !v[i] { continue }
            let key: [UInt8]
            switch values.type {
            case .bool: key = [values.boolValue(i) ? 1 : 0]
            case .utf8, .binary, .largeUtf8, .largeBinary: key = values.buffers[1].slice(values.valueRange(i)).bytes
            default:
                guard let fw = fixed else { throw LanceError.unsupported("dictionary of \(values.type) values") }
                key = values.buffers[0].slice(i * fw, fw).bytes
            }
            if let k = keys[key] { idx[i] = k } else {
                keys[key] = firsts.count
                idx[i] = firsts.count
                firsts.append(i)
            }
        }
        let limit = w >= 8 ? Int.max : (1 << (8 * w - 1)) - 1
        guard firsts.count <= limit + 1 else {
            throw LanceError.unsupported("dictionary index type \(index) cannot address \(firsts.count) distinct values")
        }
        let dict = ArrayData.concat(firsts.isEmpty ? [values.slice(0, 0)] : firsts.map { values.slice($0, 1) })
        let buf = Buffer(count: n * w) { raw in
            for i in 0 ..< n {
                switch w {
                case 1: raw.storeBytes(of: UInt8(truncatingIfNeeded: idx[i]), toByteOffset: i, as: UInt8.self)
                case 2: raw.storeBytes(of: UInt16(truncatingIfNeeded: idx[i]), toByteOffset: 2 * i, as: UInt16.self)
                case 4: raw.storeBytes(of: UInt32(truncatingIfNeeded: idx[i]), toByteOffset: 4 * i, as: UInt32.self)
                default: raw.storeBytes(of: UInt64(idx[i]), toByteOffset: 8 * i, as: UInt64.self)
                }
            }
        }
        return ArrayData(type: type, count: n, validity: validity, buffers: [buf], dictionary: dict)
    }
}
