set title "Parser: dev UAS per epoch"
set xlabel "epoch"
set ylabel "dev UAS (%)"
set grid
set key bottom right
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "parser_dev_curves.png"
plot "parser_dev_curves.dat" index 0 with linespoints lw 2 pt 7 title "dense", "parser_dev_curves.dat" index 1 with linespoints lw 2 pt 7 title "meProp top-20", "parser_dev_curves.dat" index 2 with linespoints lw 2 pt 7 title "random-20"
set terminal svg size 800,500 dynamic font "DejaVu Sans,10"
set output "parser_dev_curves.svg"
plot "parser_dev_curves.dat" index 0 with linespoints lw 2 pt 7 title "dense", "parser_dev_curves.dat" index 1 with linespoints lw 2 pt 7 title "meProp top-20", "parser_dev_curves.dat" index 2 with linespoints lw 2 pt 7 title "random-20"
unset output
