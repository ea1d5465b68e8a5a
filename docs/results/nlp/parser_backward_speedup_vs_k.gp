set title "Parser: backward speedup over dense vs k (benchmark)"
set xlabel "k"
set ylabel "speedup (x)"
set grid
set key bottom right
set logscale x 2
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "parser_backward_speedup_vs_k.png"
plot "parser_backward_speedup_vs_k.dat" index 0 with linespoints lw 2 pt 7 title "whole backward", "parser_backward_speedup_vs_k.dat" index 1 with linespoints lw 2 pt 7 title "hidden layer only"
set terminal svg size 800,500 dynamic font "DejaVu Sans,10"
set output "parser_backward_speedup_vs_k.svg"
plot "parser_backward_speedup_vs_k.dat" index 0 with linespoints lw 2 pt 7 title "whole backward", "parser_backward_speedup_vs_k.dat" index 1 with linespoints lw 2 pt 7 title "hidden layer only"
unset output
