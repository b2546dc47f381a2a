module ssekit-bench-peer

go 1.19
