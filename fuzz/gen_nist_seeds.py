#!/usr/bin/env python3
"""Write the tiny self-made seed transactions of the ANSI/NIST-ITL fuzz targets
into fuzz/corpus/fuzz_nist_{traditional,xml,roundtrip}/. Every value is made up
here; nothing is copied from the shared reference data."""
import os, struct, sys, base64

FS, GS, RS, US = b'\x1c', b'\x1d', b'\x1e', b'\x1f'

def tagged(rtype, fields, width=3):
    """fields: list of (num, bytes) without LEN; LEN computed."""
    def body(lenval):
        parts = [('%d.%0*d:' % (rtype, width, 1)).encode() + str(lenval).encode()]
        parts += [('%d.%0*d:' % (rtype, width, n)).encode() + v for n, v in fields]
        return GS.join(parts) + FS
    n = len(body(0))
    while len(body(n)) != n:
        n = len(body(n))
    return body(n)

def type4(idc, fgp, w, h, gca, data):
    hdr = struct.pack('>IBB6sBHHB', 18 + len(data), idc, 1, bytes([fgp, 255, 255, 255, 255, 255]), 0, w, h, gca)
    return hdr + data

def cnt(records):
    return b'1' + US + str(len(records)).encode() + b''.join(
        RS + str(t).encode() + US + b'%02d' % i for i, (t, _) in enumerate(records, 1))

def transaction(records, extra1=(), width=3):
    t1 = [(2, b'0502'), (3, cnt(records)), (4, b'CPS'), (5, b'20261206'), (7, b'INT'),
          (8, b'SEED'), (9, b'26000000000001Z'), (11, b'00.00'), (12, b'00.00'),
          (13, b'INT-I' + US + b'06.00'), (14, b'20261206120000Z'), (17, b'INTERPOL' + US + b'SEED')]
    t1 += list(extra1)
    t1.sort()
    return tagged(1, t1, width) + b''.join(r for _, r in records)

fake_wsq = b'\xff\xa0\xff\xa8\x00\x02' + bytes(range(40)) + b'\xff\xa1'
fake_jpeg = b'\xff\xd8\xff\xe0' + bytes(range(30)) + b'\xff\xd9'
t2 = (2, tagged(2, [(2, b'00'), (18, b'SAMPLE,SEED')]))
t14 = (14, tagged(14, [(2, b'01'), (3, b'0'), (4, b'SEED'), (5, b'20261206'), (6, b'64'), (7, b'64'),
                        (8, b'1'), (9, b'500'), (10, b'500'), (11, b'WSQ20'), (12, b'8'), (13, b'2'),
                        (22, b'2' + US + b'60'), (999, fake_wsq)]))
t10 = (10, tagged(10, [(2, b'02'), (3, b'FACE'), (4, b'SEED'), (5, b'20261206'), (6, b'8'), (7, b'8'),
                        (8, b'0'), (9, b'1'), (10, b'1'), (11, b'JPEGB'), (12, b'SRGB'), (13, b'1'),
                        (20, b'F'), (999, fake_jpeg)]))
t4 = (4, type4(3, 1, 16, 16, 0, bytes(256)))
t9 = (9, tagged(9, [(2, b'03'), (3, b'0'), (4, b'S'), (5, b'SEED' + US + b'A'), (6, b'1'),
                     (7, b'T' + US + b'UN'), (10, b'2'), (11, b'0'),
                     (12, b'001' + US + b'01000200090' + US + b'40' + US + b'A' + RS +
                          b'002' + US + b'03000100180' + US + b'20' + US + b'B')], width=2))
dup = (14, tagged(14, [(2, b'04'), (3, b'1'), (6, b'2'), (7, b'2'), (8, b'0'), (9, b'1'), (10, b'1'),
                        (11, b'NONE'), (13, b'3'), (999, b'0101'), (999, b'\x00\x10\x20\x30')]))

# Type-9 with INCITS 378 (9.126-9.141) and EFS (9.300+) blocks; Type-2 with
# INT-I descriptive detail (name items, an address, a date).
t9x = (9, tagged(9, [(2, b'05'), (3, b'4'), (4, b'U'),
                      (126, b'27' + US + b'515' + US + b'001D'), (127, b'APPF' + US + b'0'),
                      (128, b'64'), (129, b'64'), (134, b'1'), (135, b'90' + US + b'27' + US + b'1'),
                      (136, b'1'), (137, b'1' + US + b'10' + US + b'20' + US + b'30' + US + b'1' + US + b'50'),
                      (138, b'1' + US + b'0' + US + b'0' + RS + b'1' + US + b'1' + US + b'2'),
                      (140, b'5' + US + b'6' + US + b'7'), (141, b'8' + US + b'9'),
                      (300, b'64' + US + b'64' + US + US + US + b'0,0-63,0-63,63'),
                      (301, b'-20' + US + b'15'),
                      (302, b'2' + US + b'DST' + US + US + b'1,1-9,1-9,9' + RS + b'22'),
                      (307, b'LS' + US + US), (320, b'30' + US + b'40' + US + b'45'), (326, b'Y'),
                      (331, b'10' + US + b'20' + US + b'90' + US + b'E' + RS + b'30' + US + b'40' + US + b'180' + US + b'B'),
                      (332, b'OCTANT'), (333, b'1' + US + b'2' + US + b'3' + US + b'4' + US + b'1'),
                      (335, b'10' + US + b'20' + US + b'30' + US + b'40' + US + b'A' + US + b'80'),
                      (353, b'VALUE' + US + b'Doe' + US + b'J' + US + b'LAB' + US + b'20261206'),
                      (373, b'1,1-2,2' + RS + b'3,3-4,4')]))
t2x = (2, tagged(2, [(2, b'00'), (30, b'Dr' + US + b'Jo' + US + US + b'Roe'), (35, b'19700101'),
                      (37, US + US + b'Main St' + US + b'Lyon' + US + US + US + b'FRA'), (39, b'X'),
                      (64, b'1' + US + b'false' + US + b'0' + US + b'CPS' + US + b'N')]))

trad = {
    'cps_finger_face': transaction([t2, t14, t10]),
    'efs_incits_detail': transaction([t2x, t9x]),
    'type4_type9': transaction([t2, t4, t9], width=2),
    'dup999_raw': transaction([t2, dup]),
    'header_only': transaction([t2]),
}

def xml(records):
    ns = ('xmlns:itl="http://biometrics.nist.gov/standard/2011" '
          'xmlns:biom="http://niem.gov/niem/biometrics/1.0" '
          'xmlns:nc="http://niem.gov/niem/niem-core/2.0" '
          'xmlns:int-i="http://interpol.gov/int-i/1.0"')
    summ = ''.join('<biom:ContentRecordSummary><biom:ImageReferenceIdentification><nc:IdentificationID>%d'
                   '</nc:IdentificationID></biom:ImageReferenceIdentification><biom:RecordCategoryCode>%d'
                   '</biom:RecordCategoryCode></biom:ContentRecordSummary>' % (i, t)
                   for i, (t, _) in enumerate(records))
    t1 = ('<itl:PackageInformationRecord><biom:RecordCategoryCode>1</biom:RecordCategoryCode><biom:Transaction>'
          '<biom:TransactionDate><nc:Date>2026-12-06</nc:Date></biom:TransactionDate>'
          '<int-i:TransactionDestinationOrganization><nc:OrganizationIdentification><nc:IdentificationID>INT'
          '</nc:IdentificationID></nc:OrganizationIdentification><nc:OrganizationName>INTERPOL</nc:OrganizationName>'
          '<int-i:LocationCountryISO3166Alpha3Code>XPO</int-i:LocationCountryISO3166Alpha3Code>'
          '</int-i:TransactionDestinationOrganization>'
          '<biom:TransactionUTCDate><nc:DateTime>2026-12-06T12:00:00+01:00</nc:DateTime></biom:TransactionUTCDate>'
          '<biom:TransactionControlIdentification><nc:IdentificationID>26000000000001Z</nc:IdentificationID>'
          '</biom:TransactionControlIdentification>'
          '<biom:TransactionMajorVersionValue>05</biom:TransactionMajorVersionValue>'
          '<biom:TransactionMinorVersionValue>02</biom:TransactionMinorVersionValue>'
          '<int-i:TransactionCategoryCode>NPS</int-i:TransactionCategoryCode>'
          '<biom:TransactionContentSummary><biom:ContentFirstRecordCategoryCode>1</biom:ContentFirstRecordCategoryCode>'
          '<biom:ContentRecordQuantity>%d</biom:ContentRecordQuantity>%s</biom:TransactionContentSummary>'
          '</biom:Transaction></itl:PackageInformationRecord>' % (len(records), summ))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<itl:NISTBiometricInformationExchangePackage %s>%s%s'
            '</itl:NISTBiometricInformationExchangePackage>\n' % (ns, t1, ''.join(r for _, r in records))).encode()

x2 = (2, '<itl:PackageDescriptiveTextRecord><biom:RecordCategoryCode>2</biom:RecordCategoryCode>'
         '<biom:ImageReferenceIdentification><nc:IdentificationID>0</nc:IdentificationID>'
         '</biom:ImageReferenceIdentification><itl:UserDefinedDescriptiveDetail><int-i:Note>seed</int-i:Note>'
         '</itl:UserDefinedDescriptiveDetail></itl:PackageDescriptiveTextRecord>')
x14 = (14, '<itl:PackageFingerprintImageRecord><biom:RecordCategoryCode>14</biom:RecordCategoryCode>'
           '<biom:ImageReferenceIdentification><nc:IdentificationID>1</nc:IdentificationID>'
           '</biom:ImageReferenceIdentification><itl:FingerprintImage><nc:BinaryBase64Object>%s'
           '</nc:BinaryBase64Object><biom:ImageCompressionAlgorithmText>WSQ20</biom:ImageCompressionAlgorithmText>'
           '<biom:ImageHorizontalLineLengthPixelQuantity>64</biom:ImageHorizontalLineLengthPixelQuantity>'
           '<biom:ImageHorizontalPixelDensityValue>500</biom:ImageHorizontalPixelDensityValue>'
           '<biom:ImageScaleUnitsCode>1</biom:ImageScaleUnitsCode>'
           '<biom:ImageVerticalLineLengthPixelQuantity>64</biom:ImageVerticalLineLengthPixelQuantity>'
           '<biom:ImageVerticalPixelDensityValue>500</biom:ImageVerticalPixelDensityValue>'
           '<biom:FingerprintImageImpressionCaptureCategoryCode>0</biom:FingerprintImageImpressionCaptureCategoryCode>'
           '<biom:FingerPositionCode>2</biom:FingerPositionCode><biom:FingerprintImageNISTQuality>'
           '<biom:FingerPositionCode>2</biom:FingerPositionCode><biom:NISTQualityMeasure>60</biom:NISTQualityMeasure>'
           '</biom:FingerprintImageNISTQuality></itl:FingerprintImage></itl:PackageFingerprintImageRecord>'
           % base64.b64encode(fake_wsq).decode())
x9 = (9, '<itl:PackageMinutiaeRecord><biom:RecordCategoryCode>9</biom:RecordCategoryCode>'
         '<biom:ImageReferenceIdentification><nc:IdentificationID>1</nc:IdentificationID>'
         '</biom:ImageReferenceIdentification><biom:MinutiaeImpressionCaptureCategoryCode>0'
         '</biom:MinutiaeImpressionCaptureCategoryCode><biom:MinutiaeFormatNISTStandardIndicator>false'
         '</biom:MinutiaeFormatNISTStandardIndicator><biom:INCITSMinutiae><biom:MinutiaeQuantity>0'
         '</biom:MinutiaeQuantity></biom:INCITSMinutiae></itl:PackageMinutiaeRecord>')
x4 = (4, '<itl:PackageHighResolutionGrayscaleImageRecord><biom:RecordCategoryCode>4</biom:RecordCategoryCode>'
         '<biom:ImageReferenceIdentification><nc:IdentificationID>3</nc:IdentificationID>'
         '</biom:ImageReferenceIdentification><biom:FingerprintImage><nc:BinaryBase64Object>%s'
         '</nc:BinaryBase64Object><biom:ImageCaptureDetail><biom:CaptureResolutionCode>0'
         '</biom:CaptureResolutionCode></biom:ImageCaptureDetail>'
         '<biom:ImageCompressionAlgorithmCode>0</biom:ImageCompressionAlgorithmCode>'
         '<biom:ImageHorizontalLineLengthPixelQuantity>16</biom:ImageHorizontalLineLengthPixelQuantity>'
         '<biom:ImageVerticalLineLengthPixelQuantity>16</biom:ImageVerticalLineLengthPixelQuantity>'
         '<biom:FingerprintImagePosition><biom:FingerPositionCode>1</biom:FingerPositionCode>'
         '<biom:FingerPositionCode>6</biom:FingerPositionCode></biom:FingerprintImagePosition>'
         '<biom:FingerprintImageImpressionCaptureCategoryCode>1'
         '</biom:FingerprintImageImpressionCaptureCategoryCode></biom:FingerprintImage>'
         '</itl:PackageHighResolutionGrayscaleImageRecord>' % base64.b64encode(bytes(256)).decode())
x9std = (9, '<itl:PackageMinutiaeRecord><biom:RecordCategoryCode>9</biom:RecordCategoryCode>'
            '<biom:ImageReferenceIdentification><nc:IdentificationID>03</nc:IdentificationID>'
            '</biom:ImageReferenceIdentification><biom:MinutiaeImpressionCaptureCategoryCode>0'
            '</biom:MinutiaeImpressionCaptureCategoryCode><biom:MinutiaeFormatNISTStandardIndicator>true'
            '</biom:MinutiaeFormatNISTStandardIndicator><itl:Minutiae><itl:MinutiaeNISTStandard>'
            '<itl:MinutiaDetail><biom:PositionHorizontalCoordinateValue>100</biom:PositionHorizontalCoordinateValue>'
            '<biom:PositionVerticalCoordinateValue>0200</biom:PositionVerticalCoordinateValue>'
            '<biom:MinutiaIdentification><nc:IdentificationID>001</nc:IdentificationID></biom:MinutiaIdentification>'
            '<biom:PositionThetaAngleMeasure>90</biom:PositionThetaAngleMeasure>'
            '<biom:MinutiaQualityValue>40</biom:MinutiaQualityValue><biom:MinutiaCategoryCode>A'
            '</biom:MinutiaCategoryCode><biom:MinutiaRidgeCount><biom:RidgeCountReferenceIdentification>'
            '<nc:IdentificationID>2</nc:IdentificationID></biom:RidgeCountReferenceIdentification>'
            '<biom:RidgeCountValue>3</biom:RidgeCountValue></biom:MinutiaRidgeCount></itl:MinutiaDetail>'
            '<biom:MinutiaeQuantity>1</biom:MinutiaeQuantity><biom:MinutiaeReadingSystem>'
            '<biom:ReadingSystemCodingMethodCode>A</biom:ReadingSystemCodingMethodCode>'
            '<biom:ReadingSystemName>SEED</biom:ReadingSystemName></biom:MinutiaeReadingSystem>'
            '<biom:MinutiaeRidgeCountIndicator>true</biom:MinutiaeRidgeCountIndicator></itl:MinutiaeNISTStandard>'
            '<biom:MinutiaeFingerCorePosition><biom:PositionHorizontalCoordinateValue>1000'
            '</biom:PositionHorizontalCoordinateValue><biom:PositionVerticalCoordinateValue>1200'
            '</biom:PositionVerticalCoordinateValue></biom:MinutiaeFingerCorePosition>'
            '<itl:MinutiaeFingerPatternDetail><itl:FingerPatternCodeSourceCode>T</itl:FingerPatternCodeSourceCode>'
            '<biom:FingerPatternCode>UN</biom:FingerPatternCode></itl:MinutiaeFingerPatternDetail>'
            '<biom:MinutiaeFingerPositionCode>1</biom:MinutiaeFingerPositionCode></itl:Minutiae>'
            '</itl:PackageMinutiaeRecord>')
x2d = (2, '<itl:PackageDescriptiveTextRecord><biom:RecordCategoryCode>2</biom:RecordCategoryCode>'
          '<biom:ImageReferenceIdentification><nc:IdentificationID>0</nc:IdentificationID>'
          '</biom:ImageReferenceIdentification><itl:UserDefinedDescriptiveDetail><int-i:DomainDefinedDescriptiveDetail>'
          '<int-i:RecordSubject><nc:PersonBirthDate><nc:Date>1970-01-01</nc:Date></nc:PersonBirthDate>'
          '<nc:PersonBirthLocation><nc:LocationAddress><nc:StructuredAddress><nc:LocationCityName>Lyon'
          '</nc:LocationCityName></nc:StructuredAddress><nc:AddressFullText>1 Main St</nc:AddressFullText>'
          '</nc:LocationAddress></nc:PersonBirthLocation><int-i:PersonName><nc:PersonGivenName>Jo</nc:PersonGivenName>'
          '<nc:PersonSurName>Roe</nc:PersonSurName><int-i:PersonExtendedName>J R</int-i:PersonExtendedName>'
          '</int-i:PersonName><int-i:PersonSexCode>X</int-i:PersonSexCode></int-i:RecordSubject>'
          '<int-i:RecordMetadata><int-i:MiscellaneousIdentification><int-i:NationalCaseIdentifier>'
          '<int-i:LocationCountryISO3166Alpha3Code>FRA</int-i:LocationCountryISO3166Alpha3Code>'
          '<nc:IdentificationID>42</nc:IdentificationID></int-i:NationalCaseIdentifier>'
          '</int-i:MiscellaneousIdentification><int-i:RecordCreationDate><nc:DateTime>2026-12-06T12:00:00Z'
          '</nc:DateTime></int-i:RecordCreationDate></int-i:RecordMetadata><int-i:TransactionResponseData>'
          '<int-i:ErrorMessage><int-i:ErrorCode>112</int-i:ErrorCode><int-i:ErrorMessageText>seed'
          '</int-i:ErrorMessageText></int-i:ErrorMessage></int-i:TransactionResponseData>'
          '</int-i:DomainDefinedDescriptiveDetail></itl:UserDefinedDescriptiveDetail></itl:PackageDescriptiveTextRecord>')
HV = ('<biom:ImageLocationHorizontalCoordinateMeasure>%d</biom:ImageLocationHorizontalCoordinateMeasure>'
      '<biom:ImageLocationVerticalCoordinateMeasure>%d</biom:ImageLocationVerticalCoordinateMeasure>')
VERTS = ''.join('<biom:ImageSegmentVertex>' + HV % v + '</biom:ImageSegmentVertex>' for v in ((0, 0), (9, 0), (9, 9)))
x9efs = (9, '<itl:PackageMinutiaeRecord><biom:RecordCategoryCode>9</biom:RecordCategoryCode>'
            '<biom:ImageReferenceIdentification><nc:IdentificationID>5</nc:IdentificationID>'
            '</biom:ImageReferenceIdentification><biom:MinutiaeImpressionCaptureCategoryCode>4'
            '</biom:MinutiaeImpressionCaptureCategoryCode><biom:MinutiaeFormatNISTStandardIndicator>false'
            '</biom:MinutiaeFormatNISTStandardIndicator><biom:INCITSMinutiae>'
            '<biom:CBEFFFormatOwnerIdentification><nc:IdentificationID>27</nc:IdentificationID>'
            '</biom:CBEFFFormatOwnerIdentification><biom:FingerImpressionImage>'
            '<biom:ImageHorizontalLineLengthPixelQuantity>64</biom:ImageHorizontalLineLengthPixelQuantity>'
            '<biom:FingerPositionCode>1</biom:FingerPositionCode></biom:FingerImpressionImage>'
            '<biom:INCITSMinutia><biom:MinutiaIdentification><nc:IdentificationID>1</nc:IdentificationID>'
            '</biom:MinutiaIdentification><biom:INCITSMinutiaLocation><biom:PositionHorizontalCoordinateValue>10'
            '</biom:PositionHorizontalCoordinateValue><biom:PositionVerticalCoordinateValue>20'
            '</biom:PositionVerticalCoordinateValue><biom:ImageLocationThetaAngleMeasure>30'
            '</biom:ImageLocationThetaAngleMeasure></biom:INCITSMinutiaLocation>'
            '<biom:INCITSMinutiaCategoryCode>1</biom:INCITSMinutiaCategoryCode>'
            '<biom:MinutiaQualityValue>50</biom:MinutiaQualityValue></biom:INCITSMinutia>'
            '<biom:MinutiaeRidgeCountDetail><biom:INCITSRidgeCountAlgorithmCode>1</biom:INCITSRidgeCountAlgorithmCode>'
            '<biom:MinutiaeRidgeCountItem><biom:MinutiaIdentification><nc:IdentificationID>1</nc:IdentificationID>'
            '</biom:MinutiaIdentification><biom:MinutiaReferenceIdentification><nc:IdentificationID>1'
            '</nc:IdentificationID></biom:MinutiaReferenceIdentification><biom:RidgeCountValue>2</biom:RidgeCountValue>'
            '</biom:MinutiaeRidgeCountItem></biom:MinutiaeRidgeCountDetail>'
            '<biom:FingerprintPatternDeltaLocation><biom:PositionHorizontalCoordinateValue>5'
            '</biom:PositionHorizontalCoordinateValue><biom:PositionVerticalCoordinateValue>6'
            '</biom:PositionVerticalCoordinateValue><biom:ImageLocationThetaAngleMeasure>7'
            '</biom:ImageLocationThetaAngleMeasure><biom:ImageLocationThetaAngleMeasure>8'
            '</biom:ImageLocationThetaAngleMeasure><biom:ImageLocationThetaAngleMeasure>9'
            '</biom:ImageLocationThetaAngleMeasure></biom:FingerprintPatternDeltaLocation></biom:INCITSMinutiae>'
            '<biom:ExtendedFeatureSetMinutiae><biom:FrictionRidgeImageRegionOfInterest>'
            '<biom:ImageSegmentWidthMeasure>64</biom:ImageSegmentWidthMeasure>'
            '<biom:ImageSegmentHeightMeasure>64</biom:ImageSegmentHeightMeasure><biom:ImageSegmentPolygon>'
            + VERTS + '</biom:ImageSegmentPolygon></biom:FrictionRidgeImageRegionOfInterest>'
            '<biom:MinutiaeFingerLocation><biom:FingerPositionCode>2</biom:FingerPositionCode>'
            '<biom:SegmentLocationCode>DST</biom:SegmentLocationCode></biom:MinutiaeFingerLocation>'
            '<biom:MinutiaePalmLocation><biom:PalmPositionCode>22</biom:PalmPositionCode><biom:ImageSegmentPolygon>'
            + VERTS + '</biom:ImageSegmentPolygon></biom:MinutiaePalmLocation>'
            '<biom:MinutiaeNoDeltasPresentIndicator>true</biom:MinutiaeNoDeltasPresentIndicator>'
            '<biom:EFSMinutia>' + HV % (10, 20) + '<biom:ImageLocationThetaAngleMeasure>90'
            '</biom:ImageLocationThetaAngleMeasure><biom:EFSMinutiaCategoryCode>E</biom:EFSMinutiaCategoryCode>'
            '</biom:EFSMinutia><biom:EFSRidgeCountAlgorithmCode>OCTANT</biom:EFSRidgeCountAlgorithmCode>'
            '<biom:MinutiaeValueAssessment><biom:MinutiaeValueAssessmentResultCode>VALUE'
            '</biom:MinutiaeValueAssessmentResultCode><biom:MinutiaeExaminer><nc:PersonName><nc:PersonGivenName>J'
            '</nc:PersonGivenName><nc:PersonSurName>Doe</nc:PersonSurName></nc:PersonName></biom:MinutiaeExaminer>'
            '<biom:MinutiaeExaminerAffiliation><nc:OrganizationName>LAB</nc:OrganizationName>'
            '</biom:MinutiaeExaminerAffiliation><biom:MinutiaeValueAssessmentDateTime><nc:Date>2026-12-06'
            '</nc:Date></biom:MinutiaeValueAssessmentDateTime></biom:MinutiaeValueAssessment>'
            '<biom:MinutiaeImageRidgePathRepresentation><biom:MinutiaeRidgePathSegment>' + VERTS[:VERTS.rindex('<biom:ImageSegmentVertex>')] +
            '</biom:MinutiaeRidgePathSegment></biom:MinutiaeImageRidgePathRepresentation>'
            '</biom:ExtendedFeatureSetMinutiae></itl:PackageMinutiaeRecord>')
x20 = (20, '<itl:PackageSourceRepresentationRecord><biom:RecordCategoryCode>20</biom:RecordCategoryCode>'
           '<biom:ImageReferenceIdentification><nc:IdentificationID>6</nc:IdentificationID>'
           '</biom:ImageReferenceIdentification><biom:SourceRecordCardinalityCode>D'
           '</biom:SourceRecordCardinalityCode><biom:SourceAcquisition><biom:AcquisitionSourceCode>6'
           '</biom:AcquisitionSourceCode></biom:SourceAcquisition><biom:SourceFileFormat>'
           '<biom:SourceFileCategoryText>PNG</biom:SourceFileCategoryText></biom:SourceFileFormat>'
           '<biom:SourceIdentification><nc:IdentificationID>1</nc:IdentificationID></biom:SourceIdentification>'
           '<biom:SourceImage><nc:BinaryBase64Object>%s</nc:BinaryBase64Object><biom:ImageCaptureDetail>'
           '<biom:CaptureDate><nc:Date>2026-12-06</nc:Date></biom:CaptureDate></biom:ImageCaptureDetail>'
           '<biom:ImageCompressionAlgorithmText>PNG</biom:ImageCompressionAlgorithmText>'
           '</biom:SourceImage></itl:PackageSourceRepresentationRecord>'
           % base64.b64encode(b'\x89PNG\r\n\x1a\n' + bytes(8)).decode())
xmls = {'efs_incits_detail': xml([x2d, x9efs, x20]),
        'nps_finger': xml([x2, x14]), 'minutiae': xml([x2, x9]), 'header_only': xml([x2]),
        'type4_type9std': xml([x2, x4, x9std])}

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
for target, files in (('fuzz_nist_traditional', trad), ('fuzz_nist_xml', xmls),
                      ('fuzz_nist_roundtrip', dict([('t_' + k, v) for k, v in trad.items()] +
                                                   [('x_' + k, v) for k, v in xmls.items()]))):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, name + ('.xml' if data[:1] == b'<' else '.an2')), 'wb') as f:
            f.write(data)
