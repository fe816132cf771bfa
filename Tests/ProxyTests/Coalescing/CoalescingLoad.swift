import Testing

/// The heavy coalescing tests (hundreds of client threads, 50 skopeo processes), nested here
/// so that they run one after another: each alone keeps a 2-core machine busy, and together
/// they would starve each other's timing and every other suite's fixtures.
@Suite(.serialized) enum CoalescingLoad {}
