import Foundation
import LanceArrow
import LanceCore

/// Decoding of file-version 2.1/2.2 pages (`lance.encodings21.PageLayout`).
///
/// Only leaf fields own columns. Each leaf page carries repetition/definition levels for every
/// layer from the leaf up to the top-level field, so a struct's validity and a list's offsets are
/// recovered from the first of their leaves that has a column.
enum V21Decoding {
    /// Decoded layers (innermost first) and values of one leaf column.
    struct Leaf {
        var layers: [V21LayerOut]
        var values: V21Values
    }

    /// Fixed-size lists of structs: pylance 14 writes them in 2.2 with the list's items counted as the struct
    /// children's rows (it reads such a column back only on its own); not decoded here yet, so refused
    /// rather than read wrongly.
    static func checkSupported(_ type: DataType, column: String) throws {
        if case .fixedSizeList(let item, _) = type, case .struct = item.type {
            throw LanceError(.unsupported, "fixed-size lists of structs are not supported in 2.1/2.2 files yet", column: column)
        }
        for child in type.children { try checkSupported(child.type, column: column) }
    }

    /// `fastPaths: false` forces the general decoding (tests compare both).
    static func read(_ file: LanceFileReader, field: LanceField, columns: [Int32: Int], rows: Range<Int>,
                     fastPaths: Bool = true) async throws -> ArrayData {
        try checkSupported(field.type, column: field.name)
        var leaves: [Int32: Leaf] = [:]
        for (leaf, depth) in leafFields(field, depth: 0) {
            guard let col = columns[leaf.id] else { continue }
            do {
                let kind = try V21ValueKind.of(leaf)
                let pages = try V21Pages.pages(file, column: col)
                var parts: [(page: V21Page, rows: Range<Int>)] = []
                for p in pages where !rows.isEmpty && p.firstRow < rows.upperBound && p.firstRow + p.rows > rows.lowerBound {
                    let lo = max(rows.lowerBound, p.firstRow) - p.firstRow
                    let hi = min(rows.upperBound, p.firstRow + p.rows) - p.firstRow
                    parts.append((p, lo ..< hi))
                }
                if fastPaths, depth == 0, leaf.id == field.id,
                   let array = try await FullZipFixedRead.read(file, field: leaf, parts: parts, count: rows.count) {
                    return array
                }
                var segs: [V21Segment] = []
                for (p, r) in parts { segs.append(try await V21Pages.read(file, p, rows: r, kind: kind)) }
                let covered = segs.reduce(0) { $0 + $1.rows }
                guard covered == rows.count else {
                    throw LanceError.corrupt("column \(col) pages cover \(covered) of the \(rows.count) requested rows")
                }
                leaves[leaf.id] = try combine(segs, kind: kind, depth: depth)
            } catch let e as LanceError {
                throw e.at(column: leaf.name)
            }
        }
        return try build(field, depth: 0, leaves: leaves, count: rows.count)
    }

    /// `fastPaths: false` forces the general decoding (tests compare both).
    static func take(_ file: LanceFileReader, field: LanceField, columns: [Int32: Int], rows: [Int],
                     fastPaths: Bool = true) async throws -> ArrayData {
        try checkSupported(field.type, column: field.name)
        var leaves: [Int32: Leaf] = [:]
        for (leaf, depth) in leafFields(field, depth: 0) {
            guard let col = columns[leaf.id] else { continue }
            do {
                let kind = try V21ValueKind.of(leaf)
                let pages = try V21Pages.pages(file, column: col)
                var jobs: [(page: V21Page, rows: [Int])] = []
                var i = 0
                for p in pages {
                    var sel: [Int] = []
                    while i < rows.count && rows[i] < p.firstRow + p.rows {
                        guard rows[i] >= p.firstRow else { break }
                        sel.append(rows[i] - p.firstRow); i += 1
                    }
                    if !sel.isEmpty { jobs.append((p, sel)) }
                    if i == rows.count { break }
                }
                guard i == rows.count else { throw LanceError.corrupt("column \(col) pages do not cover row \(rows[i])") }
                if fastPaths, depth == 0, leaf.id == field.id,
                   let array = try await FullZipTake.take(file, field: leaf, jobs: jobs, count: rows.count) {
                    return array
                }
                let segs = try await takePages(file, jobs, kind: kind)
                leaves[leaf.id] = try combine(segs, kind: kind, depth: depth)
            } catch let e as LanceError {
                throw e.at(column: leaf.name)
            }
        }
        return try build(field, depth: 0, leaves: leaves, count: rows.count)
    }

    /// Pages decoded at once by a take that touches several pages (reads and decompression overlap
    /// and use every core; the output of each page is only its taken rows, so memory stays bounded by
    /// the result).
    static let takeConcurrency = max(2, ProcessInfo.processInfo.activeProcessorCount)

    /// Takes rows from several pages, concurrently when there is more than one, in page order.
    static func takePages(_ file: LanceFileReader, _ jobs: [(page: V21Page, rows: [Int])],
                          kind: V21ValueKind) async throws -> [V21Segment] {
        if jobs.count <= 1 {
            guard let only = jobs.first else { return [] }
            return try await V21Pages.take(file, only.page, rows: only.rows, kind: kind)
        }
        return try await withThrowingTaskGroup(of: (Int, [V21Segment]).self) { group in
            var results = [[V21Segment]](repeating: [], count: jobs.count)
            var next = 0
            func start(_ j: Int) {
                let job = jobs[j]
                group.addTask { (j, try await V21Pages.take(file, job.page, rows: job.rows, kind: kind)) }
            }
            while next < min(takeConcurrency, jobs.count) { start(next); next += 1 }
            while let (j, segs) = try await group.next() {
                results[j] = segs
                if next < jobs.count { start(next); next += 1 }
            }
            return results.flatMap { $0 }
        }
    }

    /// Leaf fields under `field` (pre-order) with their depth (0 = top level).
    static func leafFields(_ field: LanceField, depth: Int) -> [(LanceField, Int)] {
        if V21ValueKind.isPacked(field) { return [(field, depth)] }
        switch field.type {
        case .struct, .list, .largeList:
            return field.children.flatMap { leafFields($0, depth: depth + 1) }
        default:
            return [(field, depth)]
        }
    }

    static func combine(_ segs: [V21Segment], kind: V21ValueKind, depth: Int) throws -> Leaf {
        var layerParts: [[V21LayerOut]] = []
        var values: [V21Values] = []
        for s in segs {
            guard s.layers.count == depth + 1 else {
                throw LanceError.corrupt("page has \(s.layers.count) rep/def layers for a field nested \(depth + 1) deep")
            }
            layerParts.append(try s.unravel())
            values.append(s.values)
        }
        if segs.isEmpty {
            return Leaf(layers: (0 ... depth).map { _ in V21LayerOut(validity: nil, lengths: nil, count: 0) },
                        values: .zeros(like: kind, count: 0))
        }
        let layers = (0 ... depth).map { l in V21LayerOut.concat(layerParts.map { $0[l] }) }
        // A page may have a list layer where another lacks nothing; lengths must exist where a list layer exists.
        return Leaf(layers: layers, values: try V21Values.concat(values))
    }

    static func firstLeaf(_ f: LanceField, _ leaves: [Int32: Leaf]) -> Leaf? {
        for (l, _) in leafFields(f, depth: 0) { if let d = leaves[l.id] { return d } }
        return nil
    }

    static func bitmap(_ v: [Bool]?) -> Bitmap? {
        guard let v, v.contains(false) else { return nil }
        return Bitmap(v)
    }

    /// Builds the array of `f` (nested `depth` deep) with `count` values.
    static func build(_ f: LanceField, depth: Int, leaves: [Int32: Leaf], count: Int) throws -> ArrayData {
        if count == 0 { return .nulls(f.type, count: 0) }
        guard let leaf = firstLeaf(f, leaves) else { return .nulls(f.type, count: count) }
        let li = leaf.layers.count - 1 - depth
        guard li >= 0 else { throw LanceError.corrupt("field `\(f.name)` is nested deeper than its levels") }
        let layer = leaf.layers[li]
        guard layer.count == count else {
            throw LanceError.corrupt("field `\(f.name)` has \(layer.count) values in its levels, expected \(count)")
        }
        switch f.type {
        case .struct where !V21ValueKind.isPacked(f):
            guard layer.lengths == nil else { throw LanceError.corrupt("struct field `\(f.name)` has a list layer") }
            let kids = try f.children.map { try build($0, depth: depth + 1, leaves: leaves, count: count) }
            return ArrayData(type: f.type, count: count, validity: bitmap(layer.validity), children: kids)
        case .list, .largeList:
            guard let lengths = layer.lengths, f.children.count == 1 else {
                throw LanceError.corrupt("list field `\(f.name)` has no list layer")
            }
            var offs = [Int64](); offs.reserveCapacity(count + 1); offs.append(0)
            var total: Int64 = 0
            for l in lengths { total += Int64(l); offs.append(total) }
            let large = f.type.hasLargeOffsets
            guard large || total <= Int64(Int32.max) else { throw LanceError.unsupported("list `\(f.name)` holds more than 2^31 items; read it as large_list") }
            let child = try build(f.children[0], depth: depth + 1, leaves: leaves, count: Int(total))
            let ob = large ? Buffer(values: offs) : Buffer(values: offs.map { Int32($0) })
            return ArrayData(type: f.type, count: count, validity: bitmap(layer.validity), buffers: [ob], children: [child])
        default:
            guard li == 0 else { throw LanceError.corrupt("leaf field `\(f.name)` has \(li) extra rep/def layers") }
            guard layer.lengths == nil else { throw LanceError.corrupt("leaf field `\(f.name)` has a list layer") }
            return try leafArray(f.type, leaf.values, validity: bitmap(layer.validity), count: count)
        }
    }

    static func leafArray(_ type: DataType, _ v: V21Values, validity: Bitmap?, count: Int) throws -> ArrayData {
        guard v.count == count else { throw LanceError.corrupt("\(v.count) values for \(count) items") }
        switch (type, v) {
        case (.null, _):
            return ArrayData(type: .null, count: count)
        case (.bool, .bits(let d, _)):
            return ArrayData(type: type, count: count, validity: validity, buffers: [Buffer(d.isEmpty ? [0] : d)])
        case (.utf8, .variable(let o, let d)), (.binary, .variable(let o, let d)):
            guard (o.last ?? 0) <= Int(Int32.max) else { throw LanceError.unsupported("\(type) column holds more than 2 GiB in one read; use large types") }
            return ArrayData(type: type, count: count, validity: validity, buffers: [Buffer(values: o.map { Int32($0) }), Buffer(d)])
        case (.largeUtf8, .variable(let o, let d)), (.largeBinary, .variable(let o, let d)):
            return ArrayData(type: type, count: count, validity: validity, buffers: [Buffer(values: o.map { Int64($0) }), Buffer(d)])
        case (.struct(let members), .structure(let kids, _)):
            guard members.count == kids.count else { throw LanceError.corrupt("packed struct has \(kids.count) members, type has \(members.count)") }
            let children = try zip(members, kids).map { try leafArray($0.type, $1, validity: nil, count: count) }
            return ArrayData(type: type, count: count, validity: validity, children: children)
        case (.fixedSizeList(let itemField, let n), .fsl(let dim, let iv, let items)):
            guard n == dim else { throw LanceError.corrupt("fixed_size_list of \(dim) items for type \(type)") }
            let child = try leafArray(itemField.type, items, validity: bitmap(iv), count: count * n)
            return ArrayData(type: type, count: count, validity: validity, children: [child])
        case (.dictionary(let index, let valueType), _):
            let values = try leafArray(valueType, v, validity: nil, count: count)
            guard let w = index.byteWidth, count <= (w >= 8 ? Int.max : (1 << (8 * w - 1)) - 1) else {
                return try DictionaryIndices.distinct(values, type: type, index: index, validity: validity)
            }
            let idx = Buffer(count: count * w) { raw in
                for i in 0 ..< count {
                    switch w {
                    case 1: raw.storeBytes(of: UInt8(truncatingIfNeeded: i), toByteOffset: i, as: UInt8.self)
                    case 2: raw.storeBytes(of: UInt16(truncatingIfNeeded: i), toByteOffset: 2 * i, as: UInt16.self)
                    case 4: raw.storeBytes(of: UInt32(truncatingIfNeeded: i), toByteOffset: 4 * i, as: UInt32.self)
                    default: raw.storeBytes(of: UInt64(i), toByteOffset: 8 * i, as: UInt64.self)
                    }
                }
            }
            return ArrayData(type: type, count: count, validity: validity, buffers: [idx], dictionary: values)
        case (_, .fixed(let w, let d)):
            guard type.byteWidth == w else { throw LanceError.corrupt("\(w)-byte values for type \(type)") }
            return ArrayData(type: type, count: count, validity: validity, buffers: [Buffer(d)])
        default:
            throw LanceError.corrupt("decoded values do not match type \(type)")
        }
    }
}
