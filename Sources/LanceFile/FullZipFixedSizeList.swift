import LanceCore
import LanceProto

/// Full-zip values of a (possibly nested) fixed-size list.
enum FullZipFixedSizeList {
    /// Decodes `count` values of `vb` bytes each. A value holds, for every list level whose items
    /// have `has_validity` (outermost first), a bitmap of that level's items padded to whole bytes,
    /// then the items of the row.
    static func decode(_ f: Lance_Encodings21_FixedSizeList, _ d: [UInt8], valueBytes vb: Int, count: Int,
                       kind: V21ValueKind) throws -> V21Values {
        var dims: [Int] = [], validity: [Bool] = [], kinds: [V21ValueKind] = []
        var enc = f
        var k = kind
        while true {
            let dim = Int(enc.itemsPerValue)
            guard dim > 0, case .fsl(let kdim, let inner) = k, kdim == dim else {
                throw LanceError.corrupt("fixed_size_list of \(enc.itemsPerValue) does not match the column shape \(kind)")
            }
            dims.append(dim); validity.append(enc.hasValidity_p); kinds.append(k)
            k = inner
            if case .fixedSizeList(let next)? = enc.values.compression { enc = next; continue }
            guard case .flat(let itemFlat)? = enc.values.compression, let ib = inner.flatBits, Int(itemFlat.bitsPerValue) == ib else {
                throw V21Compression.unsupported(enc.values, "full-zip fixed_size_list")
            }
            break
        }
        guard validity.contains(true) else {
            guard kind.flatBits == vb * 8 else { throw LanceError.corrupt("full-zip value of \(vb) bytes does not match \(kind)") }
            return try V21Compression.shape(d, bits: vb * 8, count: count, kind: kind)
        }
        guard let itemBits = k.flatBits, itemBits % 8 == 0 else {
            throw LanceError.unsupported("full-zip fixed_size_list of \(k) items with validity")
        }
        var per: [Int] = [], p = 1
        for dim in dims { guard p <= Int.max / dim else { throw LanceError.corrupt("fixed_size_list too large") }; p *= dim; per.append(p) }
        let itemBytes = itemBits / 8
        var layout = 0
        for (l, v) in validity.enumerated() where v { layout += (per[l] + 7) / 8 }
        let valueBytes = per.last! * itemBytes
        guard vb == layout + valueBytes, d.count >= vb * count else {
            throw LanceError.corrupt("full-zip value of \(vb) bytes does not hold \(kind) with validity")
        }
        var bits: [[Bool]] = validity.map { _ in [] }
        for (l, v) in validity.enumerated() where v { bits[l].reserveCapacity(count * per[l]) }
        var items = [UInt8](); items.reserveCapacity(count * valueBytes)
        for r in 0 ..< count {
            var off = r * vb
            for (l, v) in validity.enumerated() where v {
                for j in 0 ..< per[l] { bits[l].append(d[off + (j >> 3)] & (1 << (j & 7)) != 0) }
                off += (per[l] + 7) / 8
            }
            items.append(contentsOf: d[off ..< off + valueBytes])
        }
        var out = try V21Compression.shape(items, bits: itemBits, count: count * per.last!, kind: k)
        for l in stride(from: dims.count - 1, through: 0, by: -1) {
            out = .fsl(dim: dims[l], validity: validity[l] ? bits[l] : nil, items: out)
        }
        return out
    }
}
