import LanceArrow
import LanceCore
import LanceExpr
import LanceKernels
import Synchronization

/// Which physical rows of which fragments a search may return: live rows (deletions applied), further
/// narrowed by a prefilter. Rows of fragments the dataset no longer has are never allowed.
struct RowMask: Sendable {
    enum Fragment: Sendable {
        case all(Int)
        case bits([UInt64])
    }

    var fragments: [UInt64: Fragment]

    @inline(__always)
    func allows(_ address: UInt64) -> Bool {
        guard let f = fragments[address >> 32] else { return false }
        let row = Int(address & 0xFFFF_FFFF)
        switch f {
        case .all(let n): return row < n
        case .bits(let b):
            let w = row >> 6
            return w < b.count && b[w] & (1 << UInt64(row & 63)) != 0
        }
    }

    /// Number of allowed rows (for a fragment list).
    var count: Int {
        fragments.values.reduce(0) { acc, f in
            switch f {
            case .all(let n): return acc + n
            case .bits(let b): return acc + b.reduce(0) { $0 + $1.nonzeroBitCount }
            }
        }
    }
}

extension Dataset {
    /// The live rows of every fragment.
    func liveRowMask() async throws -> RowMask {
        var out: [UInt64: RowMask.Fragment] = [:]
        for f in fragments {
            if let dv = try await deletionVector(f) {
                var bits = [UInt64](repeating: 0, count: (f.physicalRows + 63) / 64)
                for r in 0 ..< f.physicalRows where !dv.isDeleted(r) { bits[r >> 6] |= 1 << UInt64(r & 63) }
                out[f.id] = .bits(bits)
            } else {
                out[f.id] = .all(f.physicalRows)
            }
        }
        return RowMask(fragments: out)
    }

    /// Prefilter masks of recent queries, by dataset location, version and filter text (a version is immutable).
    static let filterMaskCache = Mutex<[String: RowMask]>([:])

    /// ``rowMask(matching:)``, remembered for repeated queries with the same filter on the same version.
    func cachedRowMask(matching filter: BoundExpr) async throws -> RowMask {
        let key = "\(store.root)|\(manifestPath)|\(version)|\(filter.expr.text)"
        if let hit = Dataset.filterMaskCache.withLock({ $0[key] }) { return hit }
        let mask = try await rowMask(matching: filter)
        Dataset.filterMaskCache.withLock { cache in
            if cache.count >= 16 { cache.removeAll() }
            cache[key] = mask
        }
        return mask
    }

    /// The live rows for which `filter` is TRUE (a scan of just the filter's columns with row addresses).
    func rowMask(matching filter: BoundExpr) async throws -> RowMask {
        var out: [UInt64: [UInt64]] = [:]
        for f in fragments { out[f.id] = [UInt64](repeating: 0, count: (f.physicalRows + 63) / 64) }
        let columns = filter.referencedColumns
        for try await batch in scan(columns: columns, withRowAddress: true) {
            guard let addrs = batch.column(VirtualColumn.rowAddress) else {
                throw LanceError(.internal, "scan did not return row addresses")
            }
            for i in try filter.selection(batch) {
                let a = addrs.value(i, as: UInt64.self)
                let row = Int(a & 0xFFFF_FFFF)
                out[a >> 32]?[row >> 6] |= 1 << UInt64(row & 63)
            }
        }
        return RowMask(fragments: out.mapValues { .bits($0) })
    }
}
