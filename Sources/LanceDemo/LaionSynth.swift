// SPDX-License-Identifier: Apache-2.0

import LanceArrow
import LanceCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One pre-encoded image of the generator's pool, with the metadata the rows that use it carry.
public struct SynthImage: Sendable, Hashable {
    /// A baseline JFIF file from ``JPEGEncoder``.
    public let jpeg: [UInt8]
    public let width: Int
    public let height: Int
    public let originalWidth: Int
    public let originalHeight: Int
    /// JPEG quality the image was encoded with (55…85).
    public let quality: Int
    /// `"{}"` or a small JSON object of camera fields.
    public let exif: String
    /// Lowercase hex MD5 of ``jpeg``.
    public let md5: String
}

/// A deterministic generator of LAION-like rows (the schema of the "LAION-1M" Lance dataset card),
/// the Swift counterpart of `/work/shared/bench/laion_synth.py` (same schema and distributions in
/// spirit; not the same values).
///
/// Every row depends only on `(seed, key)`, so `makeBatch(start: 0, count: 10)` rows 5…9 equal
/// `makeBatch(start: 5, count: 5)`. Images come from a pool encoded once in `init` (the cost of a
/// generator is mostly that pool: about `imagePoolSize` × 0.1 MP of JPEG encoding).
///
/// ```swift
/// let synth = LaionSynth(seed: 42)
/// let batch = synth.makeBatch(start: 0, count: 1024)   // keys 0..<1024
/// ```
public struct LaionSynth: Sendable {
    /// Embedding dimension of `img_emb`.
    public static let dimension = 768

    /// The 17 columns, as pyarrow spells them for the Python generator (all fields nullable).
    public static let schema = Schema([
        Field("key", .int64),
        Field("image", .largeBinary),
        Field("image_path", .utf8),
        Field("caption", .utf8),
        Field("url", .utf8),
        Field("NSFW", .int64),
        Field("LICENSE", .utf8),
        Field("similarity", .float64),
        Field("width", .int64),
        Field("height", .int64),
        Field("original_width", .int64),
        Field("original_height", .int64),
        Field("exif", .utf8),
        Field("md5", .utf8),
        Field("status", .utf8),
        Field("error_message", .utf8),
        Field("img_emb", .fixedSizeList(Field("item", .float32), dimension)),
    ])

    public let seed: UInt64
    /// The image pool rows draw from (uniformly).
    public let images: [SynthImage]

    private let embeddings: EmbeddingModel
    private let text: TextModel

    /// Builds the models and encodes `imagePoolSize` images (≥ 1) on the calling thread.
    ///
    /// The default pool (300 images, ~38 MP) takes about 2 s of CPU in a release build.
    public init(seed: UInt64, imagePoolSize: Int = 300) {
        precondition(imagePoolSize >= 1, "the image pool needs at least one image")
        self.init(seed: seed, images: (0..<imagePoolSize).map { ImageModel.make(seed: seed, index: $0) })
    }

    /// The same generator as ``init(seed:imagePoolSize:)``, encoding the pool on up to `width`
    /// concurrent tasks (the result does not depend on `width`).
    public static func make(seed: UInt64, imagePoolSize: Int = 300, width: Int = 4) async -> LaionSynth {
        precondition(imagePoolSize >= 1 && width >= 1, "the image pool needs at least one image")
        var images = [SynthImage?](repeating: nil, count: imagePoolSize)
        await withTaskGroup(of: (Int, SynthImage).self) { group in
            var next = 0
            while next < min(width, imagePoolSize) {
                let i = next
                group.addTask { (i, ImageModel.make(seed: seed, index: i)) }
                next += 1
            }
            while let (i, image) = await group.next() {
                images[i] = image
                if next < imagePoolSize {
                    let j = next
                    group.addTask { (j, ImageModel.make(seed: seed, index: j)) }
                    next += 1
                }
            }
        }
        return LaionSynth(seed: seed, images: images.map { $0! })
    }

    private init(seed: UInt64, images: [SynthImage]) {
        self.seed = seed
        self.images = images
        embeddings = EmbeddingModel(seed: seed)
        text = TextModel(seed: seed)
    }

    /// Rows with keys `start ..< start + count` (`start ≥ 0`, `count ≥ 0`).
    public func makeBatch(start: Int, count: Int) -> RecordBatch {
        precondition(start >= 0 && count >= 0, "start and count must be non-negative")
        var keys: [Int64] = [], jpegs: [[UInt8]?] = [], paths: [String?] = [], captions: [String?] = []
        var urls: [String?] = [], nsfw: [Int64] = [], licenses: [String?] = [], similarity: [Double] = []
        var widths: [Int64] = [], heights: [Int64] = [], origWidths: [Int64] = [], origHeights: [Int64] = []
        var exif: [String?] = [], md5: [String?] = []
        var emb: [Float] = []
        emb.reserveCapacity(count * Self.dimension)
        for key in start..<(start + count) {
            var rng = DemoRandom(seed: seed, streams: 10, UInt64(key))
            keys.append(Int64(key))
            let image = images[rng.int(0..<images.count)]
            jpegs.append(image.jpeg)
            paths.append(Self.imagePath(key: key))
            let caption = text.caption(&rng)
            captions.append(caption)
            urls.append(text.url(caption: caption, &rng))
            nsfw.append(rng.uniform() < 0.07 ? 1 : 0)
            let u = rng.uniform()
            licenses.append(u < 0.97 ? "?" : TextModel.licenses[min(Int((u - 0.97) / 0.03 * 4), 3)])
            similarity.append(min(max(0.325 + 0.035 * rng.normal(), 0.25), 0.48))
            widths.append(Int64(image.width))
            heights.append(Int64(image.height))
            origWidths.append(Int64(image.originalWidth))
            origHeights.append(Int64(image.originalHeight))
            exif.append(image.exif)
            md5.append(image.md5)
            embeddings.sample(&rng, into: &emb)
        }
        let columns: [ArrayData] = [
            .primitive(.int64, values: keys),
            .binaries(jpegs, type: .largeBinary),
            .strings(paths),
            .strings(captions),
            .strings(urls),
            .primitive(.int64, values: nsfw),
            .strings(licenses),
            .primitive(.float64, values: similarity),
            .primitive(.int64, values: widths),
            .primitive(.int64, values: heights),
            .primitive(.int64, values: origWidths),
            .primitive(.int64, values: origHeights),
            .strings(exif),
            .strings(md5),
            .strings([String?](repeating: "success", count: count)),
            .nulls(.utf8, count: count),
            .fixedSizeList(.primitive(.float32, values: emb), size: Self.dimension),
        ]
        return try! RecordBatch(schema: Self.schema, columns: columns)
    }

    /// `count` query vectors from the same embedding distribution, on a stream no row uses.
    public func queryEmbeddings(count: Int) -> [[Float]] {
        var rng = DemoRandom(seed: seed, streams: 11)
        return (0..<count).map { _ in
            var v: [Float] = []
            embeddings.sample(&rng, into: &v)
            return v
        }
    }

    /// `SSSSS/KKKKKKKKK.jpg`: shard `key / 10000` in 5 digits, key in 9 digits.
    public static func imagePath(key: Int) -> String {
        pad(key / 10000, 5) + "/" + pad(key, 9) + ".jpg"
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

// MARK: - Embeddings

/// Gaussian clusters in a random 32-dimensional subspace with a decaying spectrum, plus a shared
/// "cone" direction (CLIP embeddings have one) and isotropic noise in all 768 dimensions; rows are
/// L2-normalised. Cluster sizes are heterogeneous (log-normal weights).
struct EmbeddingModel: Sendable {
    static let latent = 32
    static let clusters = 256
    let basis: [Float]        // latent × dimension, orthonormal rows
    let mean: [Float]         // dimension
    let spread: [Float]       // latent: per-axis standard deviation
    let centres: [Float]      // clusters × latent
    let cdf: [Double]         // clusters
    let within: Float = 0.55
    let noise: Float = 0.25 / Float(LaionSynth.dimension).squareRoot()

    init(seed: UInt64) {
        let d = LaionSynth.dimension, l = Self.latent
        var rng = DemoRandom(seed: seed, streams: 1)
        var basis = [Double](repeating: 0, count: l * d)
        for r in 0..<l {
            var v = (0..<d).map { _ in rng.normal() }
            for p in 0..<r {   // Gram–Schmidt against earlier rows
                var dot = 0.0
                for j in 0..<d { dot += v[j] * basis[p * d + j] }
                for j in 0..<d { v[j] -= dot * basis[p * d + j] }
            }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for j in 0..<d { basis[r * d + j] = v[j] / n }
        }
        self.basis = basis.map { Float($0) }
        let m = (0..<d).map { _ in rng.normal() }
        let mn = m.reduce(0) { $0 + $1 * $1 }.squareRoot()
        mean = m.map { Float(0.55 * $0 / mn) }
        let lam = (0..<l).map { pow(1.0 + Double($0), -0.8) }
        let total = lam.reduce(0, +)
        spread = lam.map { Float(($0 / total).squareRoot()) }
        var centres: [Float] = []
        var weights: [Double] = []
        for _ in 0..<Self.clusters {
            for j in 0..<l { centres.append(Float(rng.normal() * 0.6) * spread[j]) }
            weights.append(exp(rng.normal()))
        }
        self.centres = centres
        let sum = weights.reduce(0, +)
        var acc = 0.0
        cdf = weights.map { acc += $0 / sum; return acc }
    }

    /// Appends one normalised vector to `out`.
    func sample(_ rng: inout DemoRandom, into out: inout [Float]) {
        let d = LaionSynth.dimension, l = Self.latent
        let u = rng.uniform()
        var lo = 0, hi = cdf.count - 1
        while lo < hi { let mid = (lo + hi) / 2; if cdf[mid] < u { lo = mid + 1 } else { hi = mid } }
        var z = [Float](repeating: 0, count: l)
        for j in 0..<l { z[j] = centres[lo * l + j] + Float(rng.normal()) * spread[j] * within }
        var x = mean
        for j in 0..<l {
            let zj = z[j], o = j * d
            for i in 0..<d { x[i] += zj * basis[o + i] }
        }
        for i in 0..<d { x[i] += Float(rng.normal()) * noise }
        var n: Float = 0
        for v in x { n += v * v }
        let inv = 1 / n.squareRoot()
        for i in 0..<d { out.append(x[i] * inv) }
    }
}

// MARK: - Text

/// Captions (Zipf–Mandelbrot word choice over the ranked vocabulary), URLs and licences.
struct TextModel: Sendable {
    static let licenses = ["creativecommons.org/licenses/by/4.0/", "creativecommons.org/licenses/by-sa/3.0/",
                           "creativecommons.org/licenses/by-nc-sa/2.0/", "creativecommons.org/licenses/by-nd/4.0/"]
    static let tlds = ["com", "com", "com", "net", "org", "co.uk", "de", "fr", "com.au", "ca"]
    let words: [String]
    let titleWords: [String]
    let wordCDF: [Double]
    let domains: [String]
    let domainCDF: [Double]

    init(seed: UInt64) {
        words = Vocabulary.words
        titleWords = words.map { TextModel.capitalised($0) }
        var acc = 0.0
        let p = (1...words.count).map { 1 / (Double($0) + 2.7) }
        let total = p.reduce(0, +)
        wordCDF = p.map { acc += $0 / total; return acc }
        var rng = DemoRandom(seed: seed, streams: 4)
        var seen = Set<String>()
        var domains: [String] = []
        while domains.count < 2000 {
            let a = words[rng.int(50..<words.count)], b = words[rng.int(50..<words.count)]
            let d = (rng.uniform() < 0.7 ? "www." : "") + a + b + "." + TextModel.tlds[rng.int(0..<TextModel.tlds.count)]
            if seen.insert(d).inserted { domains.append(d) }
        }
        self.domains = domains
        acc = 0
        let q = (1...domains.count).map { pow(Double($0), -1.1) }
        let qt = q.reduce(0, +)
        domainCDF = q.map { acc += $0 / qt; return acc }
    }

    static func capitalised(_ w: String) -> String { w.prefix(1).uppercased() + w.dropFirst() }

    static func pick(_ cdf: [Double], _ u: Double) -> Int {
        var lo = 0, hi = cdf.count - 1
        while lo < hi { let mid = (lo + hi) / 2; if cdf[mid] < u { lo = mid + 1 } else { hi = mid } }
        return lo
    }

    /// 3…25 words (log-normal around 9); 45% Title Case, else sentence case; sometimes a product
    /// code or a number, sometimes a trailing "...".
    func caption(_ rng: inout DemoRandom) -> String {
        let n = min(max(Int((9.0 * exp(0.5 * rng.normal())).rounded()), 3), 25)
        let title = rng.uniform() < 0.45
        var ws = (0..<n).map { _ in
            let k = TextModel.pick(wordCDF, rng.uniform())
            return title ? titleWords[k] : words[k]
        }
        if !title { ws[0] = TextModel.capitalised(ws[0]) }
        if rng.uniform() < 0.12 {
            let code = String(UnicodeScalar(UInt8(65 + rng.int(0..<26)))) + String(UnicodeScalar(UInt8(97 + rng.int(0..<26))))
                + String(rng.int(100..<100000))
            ws.insert(code, at: rng.int(0...ws.count))
        }
        if rng.uniform() < 0.15 { ws.insert(String(rng.int(1...2025)), at: rng.int(0...ws.count)) }
        var s = ws.joined(separator: " ")
        if rng.uniform() < 0.05 { s += "..." }
        return s
    }

    func url(caption: String, _ rng: inout DemoRandom) -> String {
        let domain = domains[TextModel.pick(domainCDF, rng.uniform())]
        let slug = caption.lowercased().split(separator: " ").prefix(5).joined(separator: "-")
        let id = rng.int(10000..<99_999_999)
        switch rng.int(0..<4) {
        case 0: return "https://\(domain)/images/products/\(slug)-\(id).jpg"
        case 1: return "http://\(domain)/wp-content/uploads/\(2010 + id % 12)/\(LaionSynth.pad(1 + id % 12, 2))/\(slug).jpg"
        case 2: return "https://\(domain)/media/catalog/\(id % 1000)/\(slug.replacingDash())_\(id).jpeg"
        default:
            let host = domain.hasPrefix("www.") ? String(domain.dropFirst(4)) : domain
            return "https://cdn.\(host)/i/\(String(id, radix: 16)).jpg"
        }
    }
}

extension String {
    fileprivate func replacingDash() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}

// MARK: - Images

/// Smooth colour fields (bilinear over a coarse random grid), a few filled ellipses, rectangles and
/// thick lines, and mild per-pixel luminance noise; nine aspect ratios, long side 100…640 px.
enum ImageModel {
    static let aspects: [(w: Int, h: Int, p: Double)] = [
        (1, 1, 0.30), (4, 3, 0.18), (3, 4, 0.14), (3, 2, 0.10), (2, 3, 0.08),
        (16, 9, 0.10), (9, 16, 0.04), (2, 1, 0.03), (1, 2, 0.03),
    ]
    static let cameras = ["Canon EOS 5D Mark III", "NIKON D750", "Canon EOS 80D", "iPhone 8", "SM-G960F",
                          "ILCE-7M3", "NIKON D3200", "Canon EOS REBEL T6", "DMC-FZ200", "X-T2"]

    static func make(seed: UInt64, index: Int) -> SynthImage {
        var rng = DemoRandom(seed: seed, streams: 3, UInt64(index))
        var u = rng.uniform(), a = 0
        while a < aspects.count - 1 && u >= aspects[a].p { u -= aspects[a].p; a += 1 }
        let (aw, ah, _) = aspects[a]
        let longSide = rng.uniform() < 0.45
            ? [256, 320, 480, 512, 640][rng.int(0..<5)]
            : Int(exp(log(100.0) + rng.uniform() * (log(640.0) - log(100.0))).rounded())
        let w = aw >= ah ? longSide : max(16, Int((Double(longSide * aw) / Double(ah)).rounded()))
        let h = aw >= ah ? max(16, Int((Double(longSide * ah) / Double(aw)).rounded())) : longSide
        let rgb = pixels(width: w, height: h, &rng)
        let quality = rng.int(55...85)
        let jpeg = JPEGEncoder.encode(rgb: rgb, width: w, height: h, quality: quality)
        var ow = w, oh = h
        if rng.uniform() >= 0.6 {
            let f = 1.2 + 2.8 * rng.uniform()
            ow = Int((Double(w) * f).rounded())
            oh = Int((Double(h) * f).rounded())
        }
        var exif = "{}"
        if rng.uniform() < 0.25 {
            let model = cameras[rng.int(0..<cameras.count)]
            let make = model.split(separator: " ").first.map(String.init) ?? model
            let exposure = [30, 60, 125, 200, 250, 500, 1000][rng.int(0..<7)]
            let iso = [100, 200, 400, 800, 1600][rng.int(0..<5)]
            let fnum = rng.int(14..<110)
            let date = "20\(LaionSynth.pad(rng.int(5..<22), 2)):\(LaionSynth.pad(rng.int(1...12), 2)):\(LaionSynth.pad(rng.int(1...28), 2)) "
                + "\(LaionSynth.pad(rng.int(0..<24), 2)):\(LaionSynth.pad(rng.int(0..<60), 2)):\(LaionSynth.pad(rng.int(0..<60), 2))"
            exif = "{\"Image Make\": \"\(make)\", \"Image Model\": \"\(model)\", \"EXIF ExposureTime\": \"1/\(exposure)\", "
                + "\"EXIF FNumber\": \"\(fnum)/10\", \"EXIF ISOSpeedRatings\": \"\(iso)\", \"Image DateTime\": \"\(date)\"}"
        }
        return SynthImage(jpeg: jpeg, width: w, height: h, originalWidth: ow, originalHeight: oh,
                          quality: quality, exif: exif, md5: MD5.hex(jpeg))
    }

    /// Row-major RGB pixels of one synthetic picture.
    static func pixels(width w: Int, height h: Int, _ rng: inout DemoRandom) -> [UInt8] {
        let g = rng.int(2...6)
        let grid = (0..<(g * g * 3)).map { _ in Float(rng.int(0...255)) }
        var img = [Float](repeating: 0, count: w * h * 3)
        let sx = Float(g - 1) / Float(max(w - 1, 1)), sy = Float(g - 1) / Float(max(h - 1, 1))
        for y in 0..<h {
            let fy = Float(y) * sy
            let y0 = min(Int(fy), g - 2), ty = fy - Float(y0)
            for x in 0..<w {
                let fx = Float(x) * sx
                let x0 = min(Int(fx), g - 2), tx = fx - Float(x0)
                let i00 = (y0 * g + x0) * 3, i01 = i00 + 3, i10 = i00 + g * 3, i11 = i10 + 3
                let o = (y * w + x) * 3
                for c in 0..<3 {
                    let top = grid[i00 + c] + (grid[i01 + c] - grid[i00 + c]) * tx
                    let bottom = grid[i10 + c] + (grid[i11 + c] - grid[i10 + c]) * tx
                    img[o + c] = top + (bottom - top) * ty
                }
            }
        }
        for _ in 0..<rng.int(2...8) {
            var xa = rng.int(0..<w), xb = rng.int(0..<w), ya = rng.int(0..<h), yb = rng.int(0..<h)
            let colour = (0..<3).map { _ in Float(rng.int(0...255)) }
            let kind = rng.int(0..<3)
            if kind == 2 {   // thick line segment from (xa, ya) to (xb, yb)
                let half = Float(rng.int(1...4))
                let dx = Float(xb - xa), dy = Float(yb - ya)
                let len2 = max(dx * dx + dy * dy, 1)
                let bx0 = max(min(xa, xb) - 5, 0), bx1 = min(max(xa, xb) + 5, w - 1)
                let by0 = max(min(ya, yb) - 5, 0), by1 = min(max(ya, yb) + 5, h - 1)
                for y in by0...by1 {
                    for x in bx0...bx1 {
                        let px = Float(x - xa), py = Float(y - ya)
                        let t = min(max((px * dx + py * dy) / len2, 0), 1)
                        let ex = px - t * dx, ey = py - t * dy
                        if ex * ex + ey * ey <= half * half { paint(&img, (y * w + x) * 3, colour) }
                    }
                }
                continue
            }
            if xa > xb { swap(&xa, &xb) }
            if ya > yb { swap(&ya, &yb) }
            let cx = Float(xa + xb) / 2, cy = Float(ya + yb) / 2
            let rx = max(Float(xb - xa) / 2, 0.5), ry = max(Float(yb - ya) / 2, 0.5)
            for y in ya...yb {
                for x in xa...xb {
                    if kind == 0 {
                        let ex = (Float(x) - cx) / rx, ey = (Float(y) - cy) / ry
                        if ex * ex + ey * ey > 1 { continue }
                    }
                    paint(&img, (y * w + x) * 3, colour)
                }
            }
        }
        let amp = rng.int(1...(w * h > 200_000 ? 2 : 5))
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for p in 0..<(w * h) {
            let n = Float(rng.int(-amp...amp))
            for c in 0..<3 { out[p * 3 + c] = UInt8(min(max(img[p * 3 + c] + n, 0), 255).rounded()) }
        }
        return out
    }

    @inline(__always)
    static func paint(_ img: inout [Float], _ o: Int, _ colour: [Float]) {
        img[o] = colour[0]; img[o + 1] = colour[1]; img[o + 2] = colour[2]
    }
}
