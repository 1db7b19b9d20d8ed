import LanceArrow
import LanceCore

extension ArrayData {
    /// The rows at `indices` in order; a negative index yields a null row. Indices must be `< count`.
    func gather(_ indices: [Int]) -> ArrayData {
        let n = indices.count
        // Validity: null where the index is negative or the source row is null.
        var needValidity = false
        for i in indices where i < 0 || isNull(i) {
            needValidity = true
            break
        }
        let validity: Bitmap? = needValidity ? Bitmap(indices.map { $0 >= 0 && !isNull($0) }) : nil
        switch type {
        case .null:
            return ArrayData(type: .null, count: n)
        case .bool:
            let bits = Bitmap(indices.map { $0 >= 0 && boolValue($0) })
            return ArrayData(type: .bool, count: n, validity: validity, buffers: [bits.buffer])
        case .utf8, .binary, .largeUtf8, .largeBinary:
            let large = type.hasLargeOffsets
            var offsets: [Int64] = [0]
            offsets.reserveCapacity(n + 1)
            var total = 0
            for i in indices {
                if i >= 0 { total += valueRange(i).count }
                offsets.append(Int64(total))
            }
            let data = total == 0 ? Buffer.empty : Buffer(count: total) { out in
                buffers[1].withUnsafeBytes { src in
                    var pos = 0
                    for i in indices where i >= 0 {
                        let r = valueRange(i)
                        if r.count > 0 {
                            out.baseAddress!.advanced(by: pos).copyMemory(from: src.baseAddress!.advanced(by: r.lowerBound),
                                                                          byteCount: r.count)
                        }
                        pos += r.count
                    }
                }
            }
            let ob = large ? Buffer(values: offsets) : Buffer(values: offsets.map { Int32(truncatingIfNeeded: $0) })
            return ArrayData(type: type, count: n, validity: validity, buffers: [ob, data])
        case .fixedSizeList(_, let size):
            var child: [Int] = []
            child.reserveCapacity(n * size)
            for i in indices {
                if i >= 0 {
                    for k in 0 ..< size { child.append(i * size + k) }
                } else {
                    for _ in 0 ..< size { child.append(-1) }
                }
            }
            return ArrayData(type: type, count: n, validity: validity, children: [children[0].gather(child)])
        case .list, .largeList:
            var offsets: [Int64] = [0]
            var child: [Int] = []
            for i in indices {
                if i >= 0 { child.append(contentsOf: valueRange(i)) }
                offsets.append(Int64(child.count))
            }
            let ob = type.hasLargeOffsets ? Buffer(values: offsets) : Buffer(values: offsets.map { Int32(truncatingIfNeeded: $0) })
            return ArrayData(type: type, count: n, validity: validity, buffers: [ob], children: [children[0].gather(child)])
        case .struct:
            return ArrayData(type: type, count: n, validity: validity, children: children.map { $0.gather(indices) })
        case .dictionary(let index, _):
            let w = index.byteWidth ?? 4
            return ArrayData(type: type, count: n, validity: validity, buffers: [gatherFixed(buffers[0], width: w, indices)],
                             dictionary: dictionary)
        default:
            let w = type.byteWidth ?? 0
            return ArrayData(type: type, count: n, validity: validity, buffers: [gatherFixed(buffers[0], width: w, indices)])
        }
    }
}

/// Copies `width`-byte values at `indices` (zeros for negative indices).
func gatherFixed(_ buffer: Buffer, width: Int, _ indices: [Int]) -> Buffer {
    Buffer(count: indices.count * width) { out in
        buffer.withUnsafeBytes { src in
            guard let d = out.baseAddress else { return }
            guard let s = src.baseAddress else {
                d.initializeMemory(as: UInt8.self, repeating: 0, count: out.count)
                return
            }
            switch width {
            case 8:
                for (k, i) in indices.enumerated() {
                    let v: UInt64 = i >= 0 ? s.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) : 0
                    d.storeBytes(of: v, toByteOffset: k * 8, as: UInt64.self)
                }
            case 4:
                for (k, i) in indices.enumerated() {
                    let v: UInt32 = i >= 0 ? s.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self) : 0
                    d.storeBytes(of: v, toByteOffset: k * 4, as: UInt32.self)
                }
            default:
                for (k, i) in indices.enumerated() {
                    if i >= 0 {
                        d.advanced(by: k * width).copyMemory(from: s.advanced(by: i * width), byteCount: width)
                    } else {
                        d.advanced(by: k * width).initializeMemory(as: UInt8.self, repeating: 0, count: width)
                    }
                }
            }
        }
    }
}
