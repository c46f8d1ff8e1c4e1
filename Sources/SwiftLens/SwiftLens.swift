@_exported import LensTensor
