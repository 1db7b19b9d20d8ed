import LanceArrow
import LanceCore

/// Typed loops over whole columns. A scalar side is read once and broadcast.
enum K {
    @inline(__always)
    static func map2<T, U, R>(_ x: [T], _ xs: Bool, _ y: [U], _ ys: Bool, _ n: Int, _ f: (T, U) -> R) -> [R] {
        [R](unsafeUninitializedCapacity: n) { out, done in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeBufferPointer { yp in
                    if xs && ys {
                        let v = f(xp[0], yp[0])
                        for i in 0 ..< n { (out.baseAddress! + i).initialize(to: v) }
                    } else if xs {
                        let a = xp[0]
                        for i in 0 ..< n { (out.baseAddress! + i).initialize(to: f(a, yp[i])) }
                    } else if ys {
                        let b = yp[0]
                        for i in 0 ..< n { (out.baseAddress! + i).initialize(to: f(xp[i], b)) }
                    } else {
                        for i in 0 ..< n { (out.baseAddress! + i).initialize(to: f(xp[i], yp[i])) }
                    }
                }
            }
            done = n
        }
    }

    @inline(__always)
    static func map1<T, R>(_ x: [T], _ xs: Bool, _ n: Int, _ f: (T) -> R) -> [R] {
        if xs { return [R](repeating: f(x[0]), count: n) }
        return [R](unsafeUninitializedCapacity: n) { out, done in
            x.withUnsafeBufferPointer { xp in
                for i in 0 ..< n { (out.baseAddress! + i).initialize(to: f(xp[i])) }
            }
            done = n
        }
    }

    static func compare<T: Comparable>(_ op: BinaryOp, _ x: [T], _ xs: Bool, _ y: [T], _ ys: Bool, _ n: Int) -> [Bool] {
        switch op {
        case .eq: return map2(x, xs, y, ys, n) { $0 == $1 }
        case .ne: return map2(x, xs, y, ys, n) { $0 != $1 }
        case .lt: return map2(x, xs, y, ys, n) { $0 < $1 }
        case .le: return map2(x, xs, y, ys, n) { $0 <= $1 }
        case .gt: return map2(x, xs, y, ys, n) { $0 > $1 }
        default: return map2(x, xs, y, ys, n) { $0 >= $1 }
        }
    }

    /// Arrow's total order of floats: -NaN < -inf < … < -0 < +0 < … < +inf < NaN.
    @inline(__always)
    static func totalKey(_ d: Double) -> Int64 {
        let b = Int64(bitPattern: d.bitPattern)
        return b ^ ((b >> 63) & Int64.max)
    }

    /// Validity of a row-wise combination: valid where both are valid.
    static func bothValid(_ a: Col, _ b: Col, _ n: Int) -> [Bool]? {
        switch (a.valid, b.valid) {
        case (nil, nil):
            if case .null = a.storage { return [Bool](repeating: false, count: n) }
            if case .null = b.storage { return [Bool](repeating: false, count: n) }
            return nil
        case (let x?, nil):
            if case .null = b.storage { return [Bool](repeating: false, count: n) }
            return a.scalar ? [Bool](repeating: x[0], count: n) : x
        case (nil, let y?):
            if case .null = a.storage { return [Bool](repeating: false, count: n) }
            return b.scalar ? [Bool](repeating: y[0], count: n) : y
        case (let x?, let y?):
            return map2(x, a.scalar, y, b.scalar, n) { $0 && $1 }
        }
    }

    /// Validity expanded to `n` rows (nil = all valid).
    static func validity(_ a: Col, _ n: Int) -> [Bool]? {
        if case .null = a.storage { return [Bool](repeating: false, count: n) }
        guard let v = a.valid else { return nil }
        return a.scalar ? [Bool](repeating: v[0], count: n) : v
    }

    static func bools(_ a: Col, _ n: Int) -> [Bool] {
        switch a.storage {
        case .bool(let v): return a.scalar ? [Bool](repeating: v[0], count: n) : v
        default: return [Bool](repeating: false, count: n)
        }
    }

    static func bytesCompare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmpBytes(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return c }
        }
        return a.count < b.count ? -1 : (a.count > b.count ? 1 : 0)
    }

    @inline(__always)
    static func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int {
        let pa = a.assumingMemoryBound(to: UInt8.self), pb = b.assumingMemoryBound(to: UInt8.self)
        for i in 0 ..< n where pa[i] != pb[i] { return pa[i] < pb[i] ? -1 : 1 }
        return 0
    }
}
