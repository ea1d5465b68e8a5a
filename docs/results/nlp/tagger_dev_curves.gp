set title "Tagger: dev accuracy per epoch"
set xlabel "epoch"
set ylabel "dev accuracy (%)"
set grid
set key bottom right
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "tagger_dev_curves.png"
plot "tagger_dev_curves.dat" index 0 with linespoints lw 2 pt 7 title "dense", "tagger_dev_curves.dat" index 1 with linespoints lw 2 pt 7 title "meProp top-10", "tagger_dev_curves.dat" index 2 with linespoints lw 2 pt 7 title "random-10"
set terminal svg size 800,500 dynamic font "DejaVu Sans,10"
set output "tagger_dev_curves.svg"
plot "tagger_dev_curves.dat" index 0 with linespoints lw 2 pt 7 title "dense", "tagger_dev_curves.dat" index 1 with linespoints lw 2 pt 7 title "meProp top-10", "tagger_dev_curves.dat" index 2 with linespoints lw 2 pt 7 title "random-10"
unset output
