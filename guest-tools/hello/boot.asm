; The demo guest: a boot sector that SeaBIOS loads from the first disk.
; It greets on COM1 and in VGA text memory (B800:0000, written directly so that SeaBIOS's serial console does not
; echo it a second time), then echoes what is typed on COM1 (or the keyboard)
; until 'p' powers the machine off through the ACPI PM1a control register (PIIX4 PM base 0x600, SLP_EN, S5).
; Build: nasm -f bin -o boot.bin boot.asm
bits 16
org 0x7c00

COM1      equ 0x3f8
PM1A_CNT  equ 0x604
SLP_EN    equ 1 << 13

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    cld
    mov si, banner
    call print
.loop:
    ; Serial input: line status bit 0 = data ready.
    mov dx, COM1 + 5
    in al, dx
    test al, 1
    jz .keyboard
    mov dx, COM1
    in al, dx
    jmp .got
.keyboard:
    mov ah, 1              ; INT 16h AH=01h: key available?
    int 0x16
    jz .idle
    xor ah, ah             ; AH=00h: read it
    int 0x16
.got:
    cmp al, 'p'
    je poweroff
    cmp al, 13
    jne .echo
    mov si, newline
    call print
    jmp .loop
.echo:
    call putc
    jmp .loop
.idle:
    hlt                    ; the PIT tick (IRQ0) wakes us up
    jmp .loop

poweroff:
    mov si, bye
    call print
    mov dx, PM1A_CNT
    mov ax, SLP_EN         ; SLP_TYP 0 = S5 in the emulator's DSDT
    out dx, ax
    cli
.halt:
    hlt
    jmp .halt

; print the zero-terminated string at DS:SI
print:
    lodsb
    test al, al
    jz .done
    call putc
    jmp print
.done:
    ret

; write AL to COM1 and to VGA text memory at the cursor (CR: column 0, LF: next row, wrapping after row 24)
putc:
    push ax
    push dx
    push di
    push es
    push ax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20          ; transmitter holding register empty
    jz .wait
    pop ax
    mov dx, COM1
    out dx, al
    mov dx, 0xb800
    mov es, dx
    mov di, [cursor]
    cmp al, 13
    jne .lf
    mov ax, di
    xor dx, dx
    mov di, 160
    div di
    mul di
    mov di, ax
    jmp .store
.lf:
    cmp al, 10
    jne .char
    add di, 160
    jmp .wrap
.char:
    mov ah, 0x07
    stosw
.wrap:
    cmp di, 160 * 25
    jb .store
    xor di, di
.store:
    mov [cursor], di
    pop es
    pop di
    pop dx
    pop ax
    ret

cursor:  dw 0
banner:  db 13, 10, "Emulator demo guest: booted by SeaBIOS from the first disk.", 13, 10
         db "Type to echo; 'p' powers off.", 13, 10, "> ", 0
newline: db 13, 10, "> ", 0
bye:     db 13, 10, "Powering off.", 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xaa55
