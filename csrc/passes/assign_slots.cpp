// Lowering, slot assignment: registers whose lifetimes do not overlap share scratch memory.
#include <algorithm>

#include "lowering.hpp"

namespace ik::passes {

using eval::Instr;
using eval::InstrKind;
using eval::Region;

// Reads: the program's final code (every pass that moves or drops instructions is before it).
// Writes: Register::slot of every register, Program::slot_itemsize.
// Registers of the root region share scratch slots when their lifetimes do not overlap, so a
// block's working set is the live values, not every value. A where's result may alias its branch
// values, which therefore stay live as long as the result. Inputs, constants, outputs and
// registers of lazy regions keep slots of their own; registers nothing reads or writes any more
// (fused into chains) get slot 0, any valid memory.
void assign_slots(eval::Program& program) {
    const auto& code = program.regions[0].code;
    const std::size_t n_regs = program.registers.size();
    constexpr std::size_t forever = ~std::size_t(0);
    std::vector<std::size_t> last_use(n_regs, forever);
    std::vector<bool> shareable(n_regs, false);
    for (const Instr& in : code) shareable[static_cast<std::size_t>(in.dst)] = true;
    for (auto r : program.output_registers) shareable[static_cast<std::size_t>(r)] = false;
    auto uses = [&](std::int32_t r, std::size_t i) {
        if (r >= 0 && (last_use[static_cast<std::size_t>(r)] == forever || last_use[static_cast<std::size_t>(r)] < i))
            last_use[static_cast<std::size_t>(r)] = i;
    };
    for (std::size_t i = 0; i < code.size(); ++i) {
        for (auto r : code[i].src) uses(r, i);
        for (auto r : code[i].chain_operands) uses(r, i);
        for (auto region : code[i].region)
            if (region >= 0)
                for (auto r : program.regions[static_cast<std::size_t>(region)].imports_outer) uses(r, i);
    }
    for (std::size_t i = 0; i < code.size(); ++i) uses(code[i].dst, i);  // written, maybe never read
    // A where's result may alias a branch value, or (through a region's imports) any root
    // register a lazy branch reads: those live as long as the result.
    for (std::size_t i = code.size(); i-- > 0;) {
        if (code[i].kind != InstrKind::where) continue;
        const std::size_t until = last_use[static_cast<std::size_t>(code[i].dst)];
        auto extend = [&](std::int32_t r) {
            if (r >= 0) last_use[static_cast<std::size_t>(r)] = std::max(last_use[static_cast<std::size_t>(r)], until);
        };
        extend(code[i].src[1]);
        extend(code[i].src[2]);
        for (auto region : code[i].region)
            if (region >= 0)
                for (auto r : program.regions[static_cast<std::size_t>(region)].imports_outer) extend(r);
    }
    // Registers not in the root's code (inputs, constants, lazy-region values) get own slots.
    auto new_slot = [&](std::size_t size) {
        program.slot_itemsize.push_back(size);
        return static_cast<std::int32_t>(program.slot_itemsize.size() - 1);
    };
    // Registers fused away into chains are never read or written: no memory of their own.
    std::vector<bool> referenced(n_regs, false);
    auto reference = [&](std::int32_t r) {
        if (r >= 0) referenced[static_cast<std::size_t>(r)] = true;
    };
    for (const Region& region : program.regions) {
        for (const Instr& in : region.code) {
            reference(in.dst);
            for (auto r : in.src) reference(r);
            for (auto r : in.chain_operands) reference(r);
        }
        for (auto r : region.imports_outer) reference(r);
        for (auto r : region.imports_inner) reference(r);
        reference(region.result);
    }
    for (auto r : program.input_registers) reference(r);
    for (const auto& constant : program.constants) reference(constant.first);
    for (auto r : program.output_registers) reference(r);
    for (std::size_t r = 0; r < n_regs; ++r)
        if (!shareable[r] && referenced[r])
            program.registers[r].slot = new_slot(ir::itemsize(program.registers[r].dtype));
    std::vector<std::int32_t> free_slots;
    std::vector<bool> released(n_regs, false);
    for (std::size_t i = 0; i < code.size(); ++i) {
        // Operands whose last use is this instruction free their slot for its result: kernels
        // read element k before writing element k, so a result may overwrite an operand.
        // (An operand used twice, as in copysign(x, x), is released once.)
        auto release = [&](std::int32_t r) {
            if (r >= 0 && shareable[static_cast<std::size_t>(r)] && last_use[static_cast<std::size_t>(r)] == i &&
                program.registers[static_cast<std::size_t>(r)].slot >= 0 && code[i].kind != InstrKind::where &&
                !released[static_cast<std::size_t>(r)]) {
                released[static_cast<std::size_t>(r)] = true;
                free_slots.push_back(program.registers[static_cast<std::size_t>(r)].slot);
            }
        };
        for (auto r : code[i].src) release(r);
        for (auto r : code[i].chain_operands) release(r);
        auto& dst = program.registers[static_cast<std::size_t>(code[i].dst)];
        if (shareable[static_cast<std::size_t>(code[i].dst)]) {
            const std::size_t size = ir::itemsize(dst.dtype);
            auto it = std::find_if(free_slots.begin(), free_slots.end(), [&](std::int32_t k) {
                return program.slot_itemsize[static_cast<std::size_t>(k)] == size;
            });
            if (it != free_slots.end()) {
                dst.slot = *it;
                free_slots.erase(it);
            } else {
                dst.slot = new_slot(size);
            }
        }
        // Operands of a where are freed after it.
        if (code[i].kind == InstrKind::where)
            for (auto r : code[i].src)
                if (r >= 0 && shareable[static_cast<std::size_t>(r)] && last_use[static_cast<std::size_t>(r)] == i &&
                    !released[static_cast<std::size_t>(r)]) {
                    released[static_cast<std::size_t>(r)] = true;
                    free_slots.push_back(program.registers[static_cast<std::size_t>(r)].slot);
                }
        if (last_use[static_cast<std::size_t>(code[i].dst)] == i && shareable[static_cast<std::size_t>(code[i].dst)] &&
            !released[static_cast<std::size_t>(code[i].dst)]) {
            released[static_cast<std::size_t>(code[i].dst)] = true;
            free_slots.push_back(dst.slot);
        }
    }
    for (std::size_t r = 0; r < n_regs; ++r)
        if (!referenced[r]) program.registers[r].slot = 0;  // never touched; any valid memory
}

}  // namespace ik::passes
