"""Where reports are: the units of 1/7/2025, the areas that group them, the former districts
and communes; locating a point (`lookup`), naming and grouping places (`catalogue`), and the
unit boundary layer in use (`layers`, `ioc geo import`)."""
