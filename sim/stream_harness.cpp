// hwgen's fast simulation harness: streams the stimulus files of sim/stimulus.py through a
// Verilated model, cycle by cycle exactly as the cocotb testbench sim/tb_streams.py does, and
// writes the same result files. The design's ports are bound in the generated "ports.h".
//
// Usage: hwgen_sim FOLDER [--progress]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <unistd.h>
#include <vector>

#include "verilated.h"

struct Port {
    std::string name;
    bool input;
    size_t nbytes;
    std::function<void(const uint8_t*)> put;  // input payload
    std::function<void(uint8_t*)> get;        // output payload
    std::function<void(bool)> set_flag;       // input valid / output ready
    std::function<bool()> flag;               // input ready / output valid
    bool has_ready;                           // outputs: false if never back-pressured
    // run state
    size_t beats = 0, done = 0;
    bool on = false;
    std::vector<uint8_t> data, mask;
    std::vector<int64_t> stamps;
};

// Scalars (CData..QData) and VlWide<N> words are little-endian on the hosts we build for.
template <class T> static void put_bits(T& sig, const uint8_t* src, size_t n) {
    T v = 0;
    std::memcpy(&v, src, n);
    sig = v;
}
template <std::size_t N> static void put_bits(VlWide<N>& sig, const uint8_t* src, size_t n) {
    uint32_t w[N] = {0};
    std::memcpy(w, src, n);
    for (size_t i = 0; i < N; ++i) sig[i] = w[i];
}
template <class T> static void get_bits(const T& sig, uint8_t* dst, size_t n) {
    T v = sig;
    std::memcpy(dst, &v, n);
}
template <std::size_t N> static void get_bits(const VlWide<N>& sig, uint8_t* dst, size_t n) {
    uint32_t w[N];
    for (size_t i = 0; i < N; ++i) w[i] = sig[i];
    std::memcpy(dst, w, n);
}

struct Level {  // a plain output (a flag), read once after the run
    std::string name;
    std::function<unsigned long long()> value;
};

#include "ports.h"  // HWGEN_TOP, #include of its header, bind_ports(HWGEN_TOP*, std::vector<Port>&), bind_levels

static std::string folder;

[[noreturn]] static void fail(const std::string& msg) {
    std::fprintf(stdout, "%s\n", msg.c_str());
    std::exit(3);
}

static std::vector<uint8_t> read_file(const std::string& name) {
    std::string path = folder + "/" + name;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) fail("cannot read " + path);
    std::vector<uint8_t> out;
    uint8_t buf[1 << 16];
    size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + got);
    std::fclose(f);
    return out;
}

static void write_file(const std::string& name, const void* data, size_t size) {
    std::string path = folder + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(data, 1, size, f) != size) fail("cannot write " + path);
    std::fclose(f);
}

int main(int argc, char** argv) {
    if (argc < 2) fail("usage: hwgen_sim FOLDER [--progress]");
    folder = argv[1];
    bool progress = argc > 2 && std::strcmp(argv[2], "--progress") == 0;
    VerilatedContext ctx;
    HWGEN_TOP top{&ctx};
    std::vector<Port> ports;
    bind_ports(&top, ports);
    std::vector<Level> levels;
    bind_levels(&top, levels);

    // run.txt: "pattern idle_limit level_settle" then one beat count per port, in bind_ports' order.
    unsigned long long pattern, idle_limit, level_settle;
    FILE* run = std::fopen((folder + "/run.txt").c_str(), "r");
    if (!run || std::fscanf(run, "%llu %llu %llu", &pattern, &idle_limit, &level_settle) != 3) fail("bad run.txt");
    size_t total = 0;
    Port* pace = nullptr;  // the input port with the most beats drives the progress line
    for (Port& p : ports) {
        unsigned long long beats;
        if (std::fscanf(run, "%llu", &beats) != 1) fail("bad run.txt");
        p.beats = beats;
        p.mask = read_file(p.name + ".mask");
        if (p.mask.size() != pattern) fail("mask of " + p.name + " has the wrong length");
        if (p.input) {
            p.data = read_file(p.name + ".in");
            if (p.data.size() != p.beats * p.nbytes) fail("payload file of " + p.name + " has the wrong size");
            if (!pace || p.beats > pace->beats) pace = &p;
        } else {
            p.data.resize(p.beats * p.nbytes);
        }
        p.stamps.reserve(p.beats);
    }
    std::fclose(run);
    if (pace) total = pace->beats;

    auto tick = [&] {
        top.clk = 1;
        top.eval();
        top.clk = 0;
        top.eval();
    };
    top.clk = 0;
    top.rst = 1;
    for (Port& p : ports) p.set_flag(false);
    top.eval();
    tick();
    tick();
    top.rst = 0;

    auto start = std::chrono::steady_clock::now();
    std::clock_t cpu_start = std::clock();
    double last_draw = 0;
    bool drawn = false, tty = isatty(2);
    int64_t cycle = 0, quiet = 0;
    for (;;) {
        // One eval per edge: the rising edge, then the falling edge together with this
        // cycle's inputs (the model only acts on rising edges), which settles ready/valid.
        top.clk = 1;
        top.eval();
        top.clk = 0;
        ++cycle;
        size_t phase = cycle & (pattern - 1);
        for (Port& p : ports) {
            if (p.input) {
                p.on = p.done < p.beats && p.mask[phase];
                if (p.on) p.put(&p.data[p.done * p.nbytes]);
                p.set_flag(p.on);
            } else if (p.has_ready) {
                p.on = p.mask[phase];
                p.set_flag(p.on);
            } else {
                p.on = true;
            }
        }
        top.eval();
        bool moved = false, finished = true;
        for (Port& p : ports) {
            if (p.input) {
                if (p.on && p.flag()) {
                    p.stamps.push_back(cycle);
                    ++p.done;
                    moved = true;
                }
            } else {
                if (p.on && p.flag() && p.done < p.beats) {
                    p.get(&p.data[p.done * p.nbytes]);
                    p.stamps.push_back(cycle);
                    ++p.done;
                    moved = true;
                }
                finished = finished && p.done == p.beats;
            }
        }
        if (finished) break;
        quiet = moved ? 0 : quiet + 1;
        if ((uint64_t)quiet >= idle_limit) {
            std::string state;
            for (Port& p : ports) state += " " + p.name + " " + std::to_string(p.done) + "/" + std::to_string(p.beats);
            fail("hang: no transfer for " + std::to_string(idle_limit) + " cycles at cycle " + std::to_string(cycle) +
                 " (beats:" + state + ")");
        }
        if (progress && pace && (cycle & 4095) == 0) {
            double now = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (now > 2.0 && now - last_draw >= (tty ? 0.2 : 5.0)) {
                last_draw = now;
                drawn = true;
                double rate = pace->done / now;
                std::fprintf(stderr, "%sverilator: %zu/%zu beats  %.0f beats/s  ETA %.0f s%s", tty ? "\r" : "",
                             pace->done, total, rate, rate > 0 ? (total - pace->done) / rate : 0.0, tty ? "" : "\n");
                std::fflush(stderr);
            }
        }
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double cpu_seconds = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    if (drawn && tty) std::fprintf(stderr, "\n");
    tick();  // the last cycle's transfers take effect, then every port goes idle
    for (Port& p : ports) p.set_flag(false);
    top.eval();
    for (unsigned long long i = 1; i < level_settle; ++i) tick();
    std::string level_text;
    for (Level& l : levels) level_text += l.name + " " + std::to_string(l.value()) + "\n";
    write_file("levels.txt", level_text.data(), level_text.size());
    top.final();

    for (Port& p : ports) {
        if (p.input && p.done != p.beats)
            fail("input " + p.name + ": " + std::to_string(p.beats - p.done) + " of " + std::to_string(p.beats) +
                 " beats not consumed when every output had arrived");
        if (!p.input) write_file(p.name + ".out", p.data.data(), p.data.size());
        write_file(p.name + ".stamps", p.stamps.data(), p.stamps.size() * sizeof(int64_t));
    }
    char result[160];
    int n = std::snprintf(result, sizeof result, "cycles %lld\nseconds %.6f\ncpu_seconds %.6f\n", (long long)cycle,
                          seconds, cpu_seconds);
    write_file("result.txt", result, n);
    return 0;
}
