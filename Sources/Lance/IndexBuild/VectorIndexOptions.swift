import LanceKernels

/// The kinds of vector index Lancelet builds (both in the reference's "v3" on-disk form).
public enum VectorIndexType: String, Sendable, Hashable, CaseIterable {
    /// Inverted file (k-means partitions) with product-quantised residuals, 8-bit codes.
    case ivfPQ = "IVF_PQ"
    /// Inverted file with the full vectors stored per partition.
    case ivfFlat = "IVF_FLAT"

    /// Parses `IVF_PQ` / `ivf_pq` / `IVF_FLAT` / `ivf_flat`.
    public init?(name: String) {
        guard let t = VectorIndexType(rawValue: name.uppercased()) else { return nil }
        self = t
    }
}

/// The distance an index is built for: the search metric (`DistanceMetric`, with the reference's
/// definitions: squared L2; cosine distance = 1 − cosine similarity, clustered as L2 over normalised
/// vectors; dot distance = −dot).
public typealias IndexMetric = DistanceMetric

extension DistanceMetric {
    /// The value of `VectorIndexDetails.metric_type` (and `lance.index.pb.VectorMetricType`).
    var protoValue: Int {
        switch self {
        case .l2: return 0
        case .cosine: return 1
        case .dot: return 2
        }
    }

    /// The metric k-means and PQ use once cosine vectors are normalised.
    var clusterMetric: ClusterMetric { self == .dot ? .dot : .l2 }
    /// Whether PQ encodes residuals (vector − partition centroid), as the reference does for L2 and cosine.
    var usesResiduals: Bool { self != .dot }
}

/// Where an index build is; reported through ``VectorIndexOptions/progress``.
public struct IndexBuildProgress: Sendable, Hashable {
    public enum Stage: String, Sendable, Hashable {
        case reading = "reading vectors"
        case trainingIVF = "training IVF"
        case trainingPQ = "training PQ"
        case encoding = "assigning partitions"
        case writing = "writing index"
    }

    public var stage: Stage
    public var completed: Int
    public var total: Int
}

/// Parameters of ``Dataset/createIndex(column:options:)``, with the reference's defaults.
public struct VectorIndexOptions: Sendable {
    public var type: VectorIndexType
    public var metric: IndexMetric
    /// Number of IVF partitions; default as pylance: live rows / 8192 (IVF_PQ) or / 4096 (IVF_FLAT), at least 1.
    /// As pylance 14, IVF_PQ trains at most one partition per 256 vectors.
    public var numPartitions: Int?
    /// PQ sub-vectors (must divide the dimension); default dim/16 when it divides, else dim/8, else 1.
    public var numSubVectors: Int?
    /// K-means iterations for IVF and for each PQ sub-space (pylance's `max_iterations`, 50).
    public var maxIterations: Int
    /// IVF trains on `numPartitions × sampleRate` vectors, PQ on `256 × sampleRate` (pylance's `sample_rate`, 256).
    public var sampleRate: Int
    /// Index name; default `<column>_idx`.
    public var name: String?
    /// Replace an index of the same name (otherwise that is an error, as in pylance).
    public var replace: Bool
    /// Seed of sampling and k-means initialisation (random when nil).
    public var seed: UInt64?
    /// Called as the build advances (from any task).
    public var progress: (@Sendable (IndexBuildProgress) -> Void)?

    public init(type: VectorIndexType = .ivfPQ, metric: IndexMetric = .l2, numPartitions: Int? = nil,
                numSubVectors: Int? = nil, maxIterations: Int = 50, sampleRate: Int = 256, name: String? = nil,
                replace: Bool = false, seed: UInt64? = nil,
                progress: (@Sendable (IndexBuildProgress) -> Void)? = nil) {
        self.type = type
        self.metric = metric
        self.numPartitions = numPartitions
        self.numSubVectors = numSubVectors
        self.maxIterations = maxIterations
        self.sampleRate = sampleRate
        self.name = name
        self.replace = replace
        self.seed = seed
        self.progress = progress
    }
}
