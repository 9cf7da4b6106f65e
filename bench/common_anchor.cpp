// Keeps callsignal_bench_common a valid library while bench/common/ holds no sources.
namespace callsignal::bench {
int common_anchor() { return 0; }
}  // namespace callsignal::bench
