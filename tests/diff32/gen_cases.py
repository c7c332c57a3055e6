#!/usr/bin/env python3
"""Random 32- and 16-bit instruction cases for the 32-bit differential test
(tests/diff32/README.md).

Writes a nasm include of case records for runner.asm and a listing (one line per case:
number, form, code bytes) the comparison uses to name a mismatch. Each form is encoded by
hand for 32-bit protected mode, or for a 16-bit code segment in it (register operands, so
the cases need no memory), with
random register values, random input flags, and the flags the Intel SDM leaves undefined
for that case masked out of the comparison.

Usage: gen_cases.py SEED CASES_PER_FORM OUT.inc OUT.list
"""
import random
import sys

CF, PF, AF, ZF, SF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x800
STATUS = CF | PF | AF | ZF | SF | OF
REGS32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
USABLE = [0, 1, 2, 3, 5, 6, 7]  # every GPR but ESP, which the runner keeps


def modrm_rr(reg, rm):
    return 0xC0 | (reg << 3) | rm


def rnd32(rng):
    # Mostly random, sometimes an edge value: the flags live at the edges.
    edges = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100, 0x10000]
    return rng.choice(edges) if rng.random() < 0.25 else rng.getrandbits(32)


class Case:
    def __init__(self, code, mask=STATUS, regs=None, bits=32):
        self.code = bytes(code)
        self.mask = mask
        self.regs = regs or {}
        self.bits = bits  # the code segment's default size: 32, or 16 (a 16-bit code segment)


def alu_forms():
    ops = [("add", 0), ("or", 1), ("adc", 2), ("sbb", 3), ("and", 4), ("sub", 5), ("xor", 6), ("cmp", 7)]
    forms = {}
    for name, n in ops:
        base = n * 8
        forms[f"{name} r8, r8"] = lambda r, b=base: [b + 0, modrm_rr(r.randrange(8), r.randrange(8))]
        forms[f"{name} r16, r16"] = lambda r, b=base: [0x66, b + 1, modrm_rr(r.choice(USABLE), r.choice(USABLE))]
        forms[f"{name} r32, r32"] = lambda r, b=base: [b + 1, modrm_rr(r.choice(USABLE), r.choice(USABLE))]
        forms[f"{name} r32, i32"] = lambda r, n=n: [0x81, modrm_rr(n, r.choice(USABLE))] + list(rnd32(r).to_bytes(4, "little"))
        forms[f"{name} r32, i8"] = lambda r, n=n: [0x83, modrm_rr(n, r.choice(USABLE)), r.getrandbits(8)]
        forms[f"{name} al, i8"] = lambda r, b=base: [b + 4, r.getrandbits(8)]
    return {k: (lambda f: (lambda r: Case(f(r))))(v) for k, v in forms.items()}


def shift_forms():
    forms = {}
    for name, n in [("rol", 0), ("ror", 1), ("rcl", 2), ("rcr", 3), ("shl", 4), ("shr", 5), ("sar", 7)]:
        rotate = n < 4

        def make(prefix, opcode, width, by_cl, n=n, rotate=rotate):
            def gen(r):
                count = r.choice([0, 1, 1, 2, 7, 8, 15, 16, 31, r.getrandbits(8)])
                masked = count & 0x1F
                rm = r.choice([0, 2, 3, 5, 6, 7]) if by_cl else r.choice(USABLE)
                code = prefix + [opcode, modrm_rr(n, rm)]
                regs = {}
                if by_cl:
                    regs["ecx"] = (rnd32(r) & ~0xFF) | count
                else:
                    code.append(count)
                # SDM: AF undefined for shifts with a nonzero count; OF defined only for
                # 1-bit shifts and rotates; a zero count changes nothing. RCL/RCR of 8/16
                # bits rotate by count mod 9/17, their OF too only for a count of 1.
                if masked == 0:
                    mask = STATUS
                else:
                    mask = STATUS & ~AF
                    if masked != 1:
                        mask &= ~OF
                    if rotate:
                        mask &= CF | OF  # rotates leave SF ZF AF PF unchanged: compare them too
                        mask |= SF | ZF | PF | AF
                    if width < 32 and not rotate and masked >= width:
                        mask &= ~CF  # shifting a narrow operand by its width or more: CF undefined
                return Case(code, mask, regs)
            return gen

        forms[f"{name} r32, cl"] = make([], 0xD3, 32, True)
        forms[f"{name} r32, i8"] = make([], 0xC1, 32, False)
        forms[f"{name} r16, cl"] = make([0x66], 0xD3, 16, True)
        forms[f"{name} r8, cl"] = make([], 0xD2, 8, True)
    return forms


def muldiv_forms():
    def unary(n, mask):
        return lambda r: Case([0xF7, modrm_rr(n, r.choice(USABLE))], mask)
    forms = {
        "mul r32": unary(4, CF | OF),
        "imul r32": unary(5, CF | OF),
        "div r32": unary(6, 0),
        "idiv r32": unary(7, 0),
        "neg r32": unary(3, STATUS),
        "not r32": unary(2, STATUS),
        "imul r32, r32": lambda r: Case([0x0F, 0xAF, modrm_rr(r.choice(USABLE), r.choice(USABLE))], CF | OF),
        "imul r32, r32, i32": lambda r: Case([0x69, modrm_rr(r.choice(USABLE), r.choice(USABLE))] + list(rnd32(r).to_bytes(4, "little")), CF | OF),
        "mul r8": lambda r: Case([0xF6, modrm_rr(4, r.randrange(8))], CF | OF),
        "div r16": lambda r: Case([0x66, 0xF7, modrm_rr(6, r.choice(USABLE))], 0),
    }
    return forms


def bit_forms():
    forms = {}
    for name, op, n in [("bt", 0xA3, 4), ("bts", 0xAB, 5), ("btr", 0xB3, 6), ("btc", 0xBB, 7)]:
        forms[f"{name} r32, r32"] = lambda r, op=op: Case([0x0F, op, modrm_rr(r.choice(USABLE), r.choice(USABLE))], CF)
        forms[f"{name} r32, i8"] = lambda r, n=n: Case([0x0F, 0xBA, modrm_rr(n, r.choice(USABLE)), r.getrandbits(8)], CF)

    def scan(op):
        def gen(r):
            src = r.choice(USABLE)
            value = rnd32(r) or 1  # a zero source leaves the destination undefined
            return Case([0x0F, op, modrm_rr(r.choice(USABLE), src)], ZF, {REGS32[src]: value})
        return gen
    forms["bsf r32, r32"] = scan(0xBC)
    forms["bsr r32, r32"] = scan(0xBD)
    for name, op in [("shld", 0xA4), ("shrd", 0xAC)]:
        def gen(r, op=op):
            count = r.choice([0, 1, 4, 16, 31, r.getrandbits(8)])
            masked = count & 0x1F
            mask = STATUS if masked == 0 else (STATUS & ~(AF | (OF if masked != 1 else 0)))
            return Case([0x0F, op, modrm_rr(r.choice(USABLE), r.choice(USABLE)), count], mask)
        forms[f"{name} r32, r32, i8"] = gen
    forms["bswap r32"] = lambda r: Case([0x0F, 0xC8 + r.choice(USABLE)])
    return forms


def legacy_forms():
    # The instructions that exist only outside 64-bit mode, and the one-byte INC/DEC.
    forms = {
        "daa": lambda r: Case([0x27], STATUS & ~OF),
        "das": lambda r: Case([0x2F], STATUS & ~OF),
        "aaa": lambda r: Case([0x37], CF | AF),
        "aas": lambda r: Case([0x3F], CF | AF),
        "aam i8": lambda r: Case([0xD4, r.choice([10, 10, 16, 0, r.getrandbits(8)])], SF | ZF | PF),
        "aad i8": lambda r: Case([0xD5, r.choice([10, 10, 16, r.getrandbits(8)])], SF | ZF | PF),
        "salc": lambda r: Case([0xD6]),
        "inc r32 (40+r)": lambda r: Case([0x40 + r.choice(USABLE)]),
        "dec r32 (48+r)": lambda r: Case([0x48 + r.choice(USABLE)]),
        "pusha; popa": lambda r: Case([0x60, 0x61]),
    }
    return forms


def move_forms():
    forms = {
        "movzx r32, r8": lambda r: Case([0x0F, 0xB6, modrm_rr(r.choice(USABLE), r.randrange(8))]),
        "movsx r32, r16": lambda r: Case([0x0F, 0xBF, modrm_rr(r.choice(USABLE), r.choice(USABLE))]),
        "xchg r32, r32": lambda r: Case([0x87, modrm_rr(r.choice(USABLE), r.choice(USABLE))]),
        "cmpxchg r32, r32": lambda r: Case([0x0F, 0xB1, modrm_rr(r.choice(USABLE), r.choice(USABLE))]),
        "xadd r32, r32": lambda r: Case([0x0F, 0xC1, modrm_rr(r.choice(USABLE), r.choice(USABLE))]),
        "setcc r8": lambda r: Case([0x0F, 0x90 + r.randrange(16), modrm_rr(0, r.randrange(8))]),
        "cmovcc r32, r32": lambda r: Case([0x0F, 0x40 + r.randrange(16), modrm_rr(r.choice(USABLE), r.choice(USABLE))]),
        "cdq": lambda r: Case([0x99]),
        "cwde": lambda r: Case([0x98]),
        "cwd": lambda r: Case([0x66, 0x99]),
        "lahf": lambda r: Case([0x9F]),
        "sahf": lambda r: Case([0x9E]),
        "lea r32, [r32 + r32*s + d32]": lambda r: Case([0x8D, 0x84 | (r.choice(USABLE) << 3),
                                                        (r.randrange(4) << 6) | (r.choice(USABLE) << 3) | r.choice([0, 1, 2, 3, 6, 7])]
                                                       + list(rnd32(r).to_bytes(4, "little"))),
        "lea r16, [bx + si + d16] (a16)": lambda r: Case([0x66, 0x67, 0x8D, 0x80 | (r.choice(USABLE) << 3)] + list(r.getrandbits(16).to_bytes(2, "little"))),
        "lea r32, [bp + di + d8] (a16)": lambda r: Case([0x67, 0x8D, 0x43 | (r.choice(USABLE) << 3), r.getrandbits(8)]),
    }
    return forms


def code16_forms():
    # 16-bit code (a code segment with D = 0): no prefix means 16-bit operands and
    # addresses, 66 and 67 select 32-bit ones, the reverse of 32-bit code.
    def c16(f, mask=STATUS):
        return lambda r: Case(f(r), mask, bits=16)
    forms = {
        "16-bit code: add r16, r16": c16(lambda r: [0x01, modrm_rr(r.choice(USABLE), r.choice(USABLE))]),
        "16-bit code: sub r32, r32 (66)": c16(lambda r: [0x66, 0x29, modrm_rr(r.choice(USABLE), r.choice(USABLE))]),
        "16-bit code: adc r16, i16": c16(lambda r: [0x81, modrm_rr(2, r.choice(USABLE))] + list(r.getrandbits(16).to_bytes(2, "little"))),
        "16-bit code: xor r16, i8": c16(lambda r: [0x83, modrm_rr(6, r.choice(USABLE)), r.getrandbits(8)]),
        "16-bit code: cmp ax, i16": c16(lambda r: [0x3D] + list(r.getrandbits(16).to_bytes(2, "little"))),
        "16-bit code: inc r16 (40+r)": c16(lambda r: [0x40 + r.choice(USABLE)]),
        "16-bit code: dec r32 (66 48+r)": c16(lambda r: [0x66, 0x48 + r.choice(USABLE)]),
        "16-bit code: neg r16": c16(lambda r: [0xF7, modrm_rr(3, r.choice(USABLE))]),
        "16-bit code: mul r16": c16(lambda r: [0xF7, modrm_rr(4, r.choice(USABLE))], CF | OF),
        "16-bit code: imul r16, r16, i8": c16(lambda r: [0x6B, modrm_rr(r.choice(USABLE), r.choice(USABLE)), r.getrandbits(8)], CF | OF),
        "16-bit code: div r8": c16(lambda r: [0xF6, modrm_rr(6, r.randrange(8))], 0),
        "16-bit code: shl r16, 1": c16(lambda r: [0xD1, modrm_rr(4, r.choice(USABLE))], STATUS & ~AF),
        "16-bit code: sar r32, i8 (66)": c16(lambda r: [0x66, 0xC1, modrm_rr(7, r.choice(USABLE)), 1 + r.randrange(31)], STATUS & ~(AF | OF)),
        "16-bit code: rol r16, 1": c16(lambda r: [0xD1, modrm_rr(0, r.choice(USABLE))]),
        "16-bit code: bsf r16, r16": lambda r: (lambda src: Case([0x0F, 0xBC, modrm_rr(r.choice(USABLE), src)], ZF,
                                                               {REGS32[src]: (rnd32(r) & ~0xFFFF) | (r.getrandbits(16) or 1)}, 16))(r.choice(USABLE)),
        "16-bit code: movzx r16, r8": c16(lambda r: [0x0F, 0xB6, modrm_rr(r.choice(USABLE), r.randrange(8))]),
        "16-bit code: movsx r32, r8 (66)": c16(lambda r: [0x66, 0x0F, 0xBE, modrm_rr(r.choice(USABLE), r.randrange(8))]),
        "16-bit code: cwd": c16(lambda r: [0x99]),
        "16-bit code: cbw": c16(lambda r: [0x98]),
        "16-bit code: xchg ax, r16 (90+r)": c16(lambda r: [0x90 + r.choice([1, 2, 3, 5, 6, 7])]),
        "16-bit code: lea r16, [bx + si + d16]": c16(lambda r: [0x8D, 0x80 | (r.choice(USABLE) << 3)] + list(r.getrandbits(16).to_bytes(2, "little"))),
        "16-bit code: lea r16, [bp + d8]": c16(lambda r: [0x8D, 0x46 | (r.choice(USABLE) << 3), r.getrandbits(8)]),
        "16-bit code: lea r32, [r32 + r32*s] (66 67)": c16(lambda r: [0x66, 0x67, 0x8D, 0x04 | (r.choice(USABLE) << 3),
                                                                  (r.randrange(4) << 6) | (r.choice(USABLE) << 3) | r.choice([0, 1, 2, 3, 6, 7])]),
        "16-bit code: daa": c16(lambda r: [0x27], STATUS & ~OF),
        "16-bit code: aas": c16(lambda r: [0x3F], CF | AF),
        "16-bit code: aad i8": c16(lambda r: [0xD5, r.choice([10, r.getrandbits(8)])], SF | ZF | PF),
        "16-bit code: pusha; popa": c16(lambda r: [0x60, 0x61]),
        "16-bit code: setcc r8": c16(lambda r: [0x0F, 0x90 + r.randrange(16), modrm_rr(0, r.randrange(8))]),
        "16-bit code: cmovcc r16, r16": c16(lambda r: [0x0F, 0x40 + r.randrange(16), modrm_rr(r.choice(USABLE), r.choice(USABLE))]),
    }
    return forms


DATA, DATA_SIZE = 0x7000, 256  # runner.asm fills it before each case and prints its checksum


def mem32(r, reg_field, width):
    """ModRM/SIB/disp32 for [base + index*scale + disp] with base != index, and the register
    values that put the access inside the data area."""
    base, index = r.sample([0, 1, 2, 3, 5, 6, 7], 2)
    scale = r.randrange(4)
    target = DATA + r.randrange(DATA_SIZE - width + 1)
    iv = r.randrange(0x40)
    disp = r.randrange(-0x80, 0x80)
    bv = (target - (iv << scale) - disp) & 0xFFFFFFFF
    code = [0x84 | (reg_field << 3), (scale << 6) | (index << 3) | base] + list((disp & 0xFFFFFFFF).to_bytes(4, "little"))
    return code, {REGS32[base]: bv, REGS32[index]: iv}


def mem16(r, reg_field, width):
    """ModRM for a 16-bit address ([bx+si+d8], [bp+di], [bx], [si+d16]) inside the data area;
    the registers' upper halves are random (16-bit addressing ignores them)."""
    target = DATA + r.randrange(DATA_SIZE - width + 1)
    upper = lambda: r.getrandbits(16) << 16
    form = r.randrange(4)
    if form == 0:
        d = r.randrange(-0x80, 0x80)
        bx = r.randrange(0x10000)
        si = (target - bx - d) & 0xFFFF
        return [0x40 | (reg_field << 3), d & 0xFF], {"ebx": upper() | bx, "esi": upper() | si}
    if form == 1:
        bp = r.randrange(0x10000)
        di = (target - bp) & 0xFFFF
        return [0x03 | (reg_field << 3)], {"ebp": upper() | bp, "edi": upper() | di}
    if form == 2:
        return [0x07 | (reg_field << 3)], {"ebx": upper() | target}
    d = r.randrange(0x10000)
    si = (target - d) & 0xFFFF
    return [0x84 | (reg_field << 3)] + list(d.to_bytes(2, "little")), {"esi": upper() | si}


def memory_forms():
    def m32(prefix, opcode, width, reg_field=None, imm=0, mask=STATUS, bits=32, addr=mem32):
        def gen(r):
            # The register operand (it may be one the address uses: the address is formed first).
            field = r.choice([0, 1, 2, 3]) if reg_field is None else reg_field
            modrm, regs = addr(r, field, width)
            code = prefix + opcode + modrm + [r.getrandbits(8) for _ in range(imm)]
            return Case(code, mask, regs, bits)
        return gen
    forms = {
        "add m32, r32": m32([], [0x01], 4),
        "sub r32, m32": m32([], [0x2B], 4),
        "adc m16, i16": m32([0x66], [0x81], 2, reg_field=2, imm=2),
        "xor m8, i8": m32([], [0x80], 1, reg_field=6, imm=1),
        "inc m32": m32([], [0xFF], 4, reg_field=0),
        "neg m16": m32([0x66], [0xF7], 2, reg_field=3),
        "shl m32, cl": m32([], [0xD3], 4, reg_field=4, mask=STATUS & ~(AF | OF)),
        "rcr m8, 1": m32([], [0xD0], 1, reg_field=3),
        "xchg m32, r32": m32([], [0x87], 4),
        "cmpxchg m32, r32": m32([], [0x0F, 0xB1], 4),
        "xadd m16, r16": m32([0x66], [0x0F, 0xC1], 2),
        "movzx r32, m16": m32([], [0x0F, 0xB7], 2),
        "movsx r32, m8": m32([], [0x0F, 0xBE], 1),
        "imul r32, m32": m32([], [0x0F, 0xAF], 4, mask=CF | OF),
        "bts m32, i8": m32([], [0x0F, 0xBA], 4, reg_field=5, imm=1, mask=CF),
        "setcc m8": lambda r: (lambda op: m32([], [0x0F, 0x90 + op], 1, reg_field=0)(r))(r.randrange(16)),
        "16-bit code: add m16, r16 (16-bit address)": m32([], [0x01], 2, bits=16, addr=mem16),
        "16-bit code: mov r16, m16 (16-bit address)": m32([], [0x8B], 2, bits=16, addr=mem16),
        "16-bit code: or m8, r8 (16-bit address)": m32([], [0x08], 1, bits=16, addr=mem16),
        "16-bit code: inc m16 (16-bit address)": m32([], [0xFF], 2, reg_field=0, bits=16, addr=mem16),
        "16-bit code: sar m32, i8 (66, 16-bit address)": m32([0x66], [0xC1], 4, reg_field=7, imm=1, mask=CF | SF | ZF | PF, bits=16, addr=mem16),
        "16-bit code: cmp m16, i8 (16-bit address)": m32([], [0x83], 2, reg_field=7, imm=1, bits=16, addr=mem16),
        "16-bit code: lea r16, m (16-bit address)": m32([], [0x8D], 2, bits=16, addr=mem16),
        "add m32, r32 (67: 16-bit address in 32-bit code)": m32([0x67], [0x01], 4, addr=mem16),
    }
    return forms


def all_forms():
    forms = {}
    for group in (alu_forms, shift_forms, muldiv_forms, bit_forms, legacy_forms, move_forms, code16_forms, memory_forms):
        forms.update(group())
    return forms


def main():
    seed, per_form, out_inc, out_list = int(sys.argv[1], 0), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    rng = random.Random(seed)
    forms = all_forms()
    with open(out_inc, "w") as inc, open(out_list, "w") as listing:
        inc.write(f"; generated by gen_cases.py {seed} {per_form}: {len(forms)} forms\n")
        number = 0
        for name in forms:
            for _ in range(per_form):
                case = forms[name](rng)
                regs = [rnd32(rng) for _ in range(8)]
                for reg, value in case.regs.items():
                    regs[REGS32.index(reg)] = value
                flags = 0x2 | (rng.getrandbits(12) & STATUS)
                assert len(case.code) <= 16, name
                code = list(case.code) + [0x90] * (16 - len(case.code))
                # Record: EAX ECX EDX EBX EBP ESI EDI EFLAGS MASK, 16 code bytes, the code
                # segment's size (32 or 16), pad to 64.
                values = [regs[0], regs[1], regs[2], regs[3], regs[5], regs[6], regs[7], flags, case.mask]
                inc.write("dd " + ",".join(f"0x{v:08x}" for v in values) + "\n")
                inc.write("db " + ",".join(f"0x{b:02x}" for b in code) + "\n")
                inc.write(f"db {case.bits}\ntimes 11 db 0\n")
                listing.write(f"{number:05d} {name} | {case.code.hex(' ')}\n")
                number += 1
        inc.write("cases_end:\n")


if __name__ == "__main__":
    main()
