set title "Parser: test UAS vs k"
set xlabel "k (hidden layer)"
set ylabel "test UAS (%)"
set grid
set key bottom right
set logscale x 2
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "parser_accuracy_vs_k.png"
plot "parser_accuracy_vs_k.dat" index 0 with linespoints lw 2 pt 7 title "meProp top-k test UAS", "parser_accuracy_vs_k.dat" index 1 with linespoints lw 2 pt 7 title "dense test UAS"
set terminal svg size 800,500 dynamic font "DejaVu Sans,10"
set output "parser_accuracy_vs_k.svg"
plot "parser_accuracy_vs_k.dat" index 0 with linespoints lw 2 pt 7 title "meProp top-k test UAS", "parser_accuracy_vs_k.dat" index 1 with linespoints lw 2 pt 7 title "dense test UAS"
unset output
