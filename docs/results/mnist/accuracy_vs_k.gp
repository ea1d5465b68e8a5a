set title "Test accuracy vs k (k = 500 is dense)"
set xlabel "k"
set ylabel "test accuracy (%)"
set grid
set key bottom right
set logscale x 2
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "accuracy_vs_k.png"
plot "accuracy_vs_k.dat" index 0 with linespoints lw 2 pt 7 title "meProp top-k"
set terminal svg size 800,500 dynamic font "DejaVu Sans,10"
set output "accuracy_vs_k.svg"
plot "accuracy_vs_k.dat" index 0 with linespoints lw 2 pt 7 title "meProp top-k"
unset output
