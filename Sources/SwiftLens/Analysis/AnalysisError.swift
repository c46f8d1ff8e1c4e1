/// What went wrong in an analysis routine: a tensor of the wrong shape, an argument out of
/// range, or an iteration that did not converge.
public enum AnalysisError: Error, CustomStringConvertible, Equatable {
    case invalidShape(what: String, expected: String, found: [Int])
    case notSquare(what: String, found: [Int])
    case invalidArgument(String)
    case noConvergence(algorithm: String, iterations: Int)

    public var description: String {
        switch self {
        case let .invalidShape(what, expected, found): "\(what) must have shape \(expected); found \(found)"
        case let .notSquare(what, found): "\(what) needs a square matrix; found shape \(found)"
        case let .invalidArgument(reason): reason
        case let .noConvergence(algorithm, iterations): "\(algorithm) did not converge in \(iterations) iterations"
        }
    }
}
