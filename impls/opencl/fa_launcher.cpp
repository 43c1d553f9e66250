#include "impls/opencl/fa_launcher.hpp"

#include <array>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "impls/opencl/cl_errors.hpp"
#include "impls/opencl/cl_handles.hpp"
#include "impls/opencl/cl_runtime.hpp"
#include "impls/opencl/fa_params.hpp"
#include "impls/opencl/kernel_sources.hpp"

namespace flashcheck::opencl {
namespace {

// A zero-byte buffer is invalid in OpenCL: absent inputs get a small placeholder.
constexpr size_t kPlaceholderBytes = 4;

ClMem make_buffer(cl_context ctx, cl_mem_flags flags, size_t bytes, const void* host) {
  cl_int err = CL_SUCCESS;
  const bool copy = host != nullptr && bytes > 0;
  ClMem mem(clCreateBuffer(ctx, flags | (copy ? CL_MEM_COPY_HOST_PTR : 0), bytes > 0 ? bytes : kPlaceholderBytes,
                           copy ? const_cast<void*>(host) : nullptr, &err));
  cl_check(err, "clCreateBuffer");
  return mem;
}

ClMem input_buffer(cl_context ctx, const void* data, size_t bytes) {
  return make_buffer(ctx, CL_MEM_READ_ONLY, bytes, data);
}

ClMem output_buffer(cl_context ctx, size_t bytes) { return make_buffer(ctx, CL_MEM_READ_WRITE, bytes, nullptr); }

// A __local kernel argument: its size, no contents.
struct LocalFloats {
  size_t count;
};

void set_arg(cl_kernel k, cl_uint index, const LocalFloats& a) {
  cl_check(clSetKernelArg(k, index, a.count * sizeof(float), nullptr), "clSetKernelArg(__local)");
}

template <class T>
void set_arg(cl_kernel k, cl_uint index, const T& value) {
  cl_check(clSetKernelArg(k, index, sizeof(T), &value), "clSetKernelArg");
}

template <class... Args>
void set_args(cl_kernel k, const Args&... args) {
  cl_uint index = 0;
  (set_arg(k, index++, args), ...);
}

void enqueue(cl_command_queue queue, cl_kernel k, std::array<size_t, 2> global, std::array<size_t, 2> local) {
  cl_check(clEnqueueNDRangeKernel(queue, k, 2, nullptr, global.data(), local.data(), 0, nullptr, nullptr),
           "clEnqueueNDRangeKernel");
}

void read_buffer(cl_command_queue queue, cl_mem mem, size_t bytes, void* out) {
  cl_check(clEnqueueReadBuffer(queue, mem, CL_TRUE, 0, bytes, out, 0, nullptr, nullptr), "clEnqueueReadBuffer");
}

// Every input of a case on the device, as raw storage plus the parameter block.
struct DeviceCase {
  OpenClParams params;
  ClMem q, k, v, mask, slopes, sinks;
};

DeviceCase upload(cl_context ctx, const AttentionCase& c, int64_t decode_split_keys) {
  DeviceCase d{make_params(c, decode_split_keys), {}, {}, {}, {}, {}, {}};
  d.q = input_buffer(ctx, c.q.data(), c.q.storage.size());
  d.k = c.k_quant ? input_buffer(ctx, c.k_quant->bytes.data(), c.k_quant->bytes.size())
                  : input_buffer(ctx, c.k.data(), c.k.storage.size());
  d.v = c.v_quant ? input_buffer(ctx, c.v_quant->bytes.data(), c.v_quant->bytes.size())
                  : input_buffer(ctx, c.v.data(), c.v.storage.size());
  d.mask = c.mask ? input_buffer(ctx, c.mask->data(), c.mask->storage.size()) : input_buffer(ctx, nullptr, 0);
  // ALiBi slopes are per-head constants, computed once on the host as ggml does.
  std::vector<float> slopes(static_cast<size_t>(c.shape.hq));
  for (int64_t h = 0; h < c.shape.hq; ++h) slopes[static_cast<size_t>(h)] = c.slope(h);
  d.slopes = input_buffer(ctx, slopes.data(), slopes.size() * sizeof(float));
  d.sinks = input_buffer(ctx, c.sinks.data(), c.sinks.size() * sizeof(float));
  return d;
}

// The kernels of one program build, fetched from the runtime's cache.
class Program {
 public:
  Program(ClRuntime& rt, std::string options) : rt_(rt), options_(std::move(options)) {}
  cl_kernel kernel(const char* name) const { return rt_.kernel(flash_attention_program_source(), options_, name); }

 private:
  ClRuntime& rt_;
  std::string options_;
};

void classify_tiles(cl_command_queue queue, const Program& prog, const DeviceCase& d, cl_mem tile_class) {
  const cl_kernel k = prog.kernel("fa_classify_tiles");
  set_args(k, d.mask.get(), d.params, tile_class);
  enqueue(queue, k, {static_cast<size_t>(d.params.n_kv_tiles), static_cast<size_t>(d.params.n_q_tiles)}, {1, 1});
}

ClRuntime& ready_runtime() {
  ClRuntime& rt = ClRuntime::instance();
  if (!rt.ready()) throw std::runtime_error("OpenCL is not available: " + rt.unavailable_reason());
  return rt;
}

}  // namespace

LaunchPath launch_path(const AttentionCase& c, const OpenClTuning& tuning) {
  if (c.shape.lq > 1) return LaunchPath::prefill;
  return c.shape.lk > tuning.decode_split_keys ? LaunchPath::decode_split : LaunchPath::decode_single;
}

FlashAttentionLauncher::FlashAttentionLauncher(const FlagSet& flags, const OpenClMutant* mutant, OpenClTuning tuning)
    : options_(program_options(flags, mutant)), tuning_(tuning) {
  if (tuning_.decode_split_keys < 1) throw std::invalid_argument("decode_split_keys must be >= 1");
}

RunOutput FlashAttentionLauncher::run(const AttentionCase& c) const {
  ClRuntime& rt = ready_runtime();
  const Program prog(rt, options_);
  const CaseShape& s = c.shape;
  const size_t rows = static_cast<size_t>(s.batch * s.hq * s.lq);
  const auto bh = static_cast<size_t>(s.batch * s.hq);

  RunOutput out;
  out.o = Tensor::make(c.o_type, {s.batch, s.hq, s.lq, s.dv});
  out.lse.assign(rows, 0.0f);

  std::lock_guard lock(rt.mutex());
  const cl_context ctx = rt.context();
  const cl_command_queue queue = rt.queue();
  const DeviceCase d = upload(ctx, c, tuning_.decode_split_keys);
  const ClMem o = output_buffer(ctx, out.o.storage.size());
  const ClMem lse = output_buffer(ctx, rows * sizeof(float));
  const auto wg = static_cast<size_t>(kDecodeWg);
  const auto dk = static_cast<size_t>(s.dk), dv = static_cast<size_t>(s.dv);
  const auto tile = static_cast<size_t>(kBlockN);

  // Buffers released inside a case below stay alive until the queued kernels using
  // them complete (OpenCL defers the deletion); the blocking reads at the end wait for all.
  switch (launch_path(c, tuning_)) {
    case LaunchPath::prefill: {
      const ClMem tile_class = output_buffer(ctx, static_cast<size_t>(d.params.n_q_tiles * d.params.n_kv_tiles));
      classify_tiles(queue, prog, d, tile_class.get());
      const cl_kernel k = prog.kernel("fa_prefill");
      set_args(k, d.q.get(), d.k.get(), d.v.get(), d.mask.get(), d.slopes.get(), d.sinks.get(), tile_class.get(),
               o.get(), lse.get(), LocalFloats{tile * dk}, LocalFloats{tile * dv}, d.params);
      enqueue(queue, k, {static_cast<size_t>(d.params.n_q_tiles * kBlockM), bh}, {static_cast<size_t>(kBlockM), 1});
      break;
    }
    case LaunchPath::decode_single: {
      const cl_kernel k = prog.kernel("fa_decode_q1");
      set_args(k, d.q.get(), d.k.get(), d.v.get(), d.mask.get(), d.slopes.get(), d.sinks.get(), o.get(), lse.get(),
               LocalFloats{wg * dv}, LocalFloats{dv}, d.params);
      enqueue(queue, k, {wg, bh}, {wg, 1});
      break;
    }
    case LaunchPath::decode_split: {
      const auto parts = bh * static_cast<size_t>(d.params.n_splits);
      const ClMem part_m = output_buffer(ctx, parts * sizeof(float));
      const ClMem part_l = output_buffer(ctx, parts * sizeof(float));
      const ClMem part_acc = output_buffer(ctx, parts * dv * sizeof(float));
      const cl_kernel split = prog.kernel("fa_decode_split");
      set_args(split, d.q.get(), d.k.get(), d.v.get(), d.mask.get(), d.slopes.get(), part_m.get(), part_l.get(),
               part_acc.get(), LocalFloats{wg * dv}, d.params);
      enqueue(queue, split, {wg * static_cast<size_t>(d.params.n_splits), bh}, {wg, 1});
      const cl_kernel merge = prog.kernel("fa_decode_merge");
      set_args(merge, part_m.get(), part_l.get(), part_acc.get(), d.sinks.get(), o.get(), lse.get(), LocalFloats{dv},
               d.params);
      enqueue(queue, merge, {wg, bh}, {wg, 1});
      break;
    }
  }
  read_buffer(queue, o.get(), out.o.storage.size(), out.o.data());
  read_buffer(queue, lse.get(), rows * sizeof(float), out.lse.data());
  return out;
}

std::vector<uint8_t> FlashAttentionLauncher::tile_classes(const AttentionCase& c) const {
  ClRuntime& rt = ready_runtime();
  const Program prog(rt, options_);
  std::lock_guard lock(rt.mutex());
  const DeviceCase d = upload(rt.context(), c, tuning_.decode_split_keys);
  std::vector<uint8_t> classes(static_cast<size_t>(d.params.n_q_tiles * d.params.n_kv_tiles));
  const ClMem tile_class = output_buffer(rt.context(), classes.size());
  classify_tiles(rt.queue(), prog, d, tile_class.get());
  read_buffer(rt.queue(), tile_class.get(), classes.size(), classes.data());
  return classes;
}

}  // namespace flashcheck::opencl
